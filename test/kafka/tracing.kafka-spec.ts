/**
 * OpenTelemetry traces (issue 16), with the SDK's in-memory exporter: the
 * built API runs in a child process with the SDK and the exporter
 * (traced-api-child.js), with a relay on its store feeding a real broker. One command yields one connected trace:
 * HTTP request → command → decide / append → the relay's produce span; the
 * CloudEvent carries the produce span's context for the consumer; no span
 * attribute holds PHI.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { topicsWithSuffix } from '@ipt/analytics-feed';
import { LedgerClient, TEST_JWT_SECRET, tempDataDir, tokenFor } from '../support/ledger-app';
import { readFeed, testBrokers, uniqueSuffix } from '../support/kafka-feed';
import { feedSchemas } from '../support/kafka-asyncapi';
import { waitFor } from '../support/wait-for';
import { enrollment, homework as homeworkOf, session } from '../e2e/course-scenario';

const CHILD = path.resolve(__dirname, '../support/traced-api-child.js');
const PATIENT_REF = 'MRN-TRACE-SECRET-4711';
const HOMEWORK_TEXT = 'Write to your sister about the funeral';

/** A finished span as the child's in-memory exporter holds it. */
interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  events: unknown[];
}

describe('traces from HTTP to Kafka', () => {
  let child: ChildProcess;
  let api: LedgerClient;
  let finished: ExportedSpan[] = [];
  const suffix = uniqueSuffix();
  const topics = topicsWithSuffix(suffix);

  beforeAll(async () => {
    child = fork(CHILD, [], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: tempDataDir('ipt-trace-'),
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: testBrokers().join(','),
        RELAY_TRANSACTIONAL_ID: `tracing-test${suffix}`,
        RELAY_TOPIC_SUFFIX: suffix,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = /^\{"listening".*$/m.exec(output);
        if (line) resolve((JSON.parse(line[0]) as { listening: string }).listening);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`the traced API exited with ${code}:\n${output}`)),
      );
    });
    api = new LedgerClient(url, tokenFor('clinic-trace', ['clinician', 'auditor']));
  }, 60000);

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    await exited;
  });

  /** Asks the child for its finished spans; remembers them in `finished`. */
  const collect = (): Promise<ExportedSpan[]> =>
    new Promise((resolve) => {
      child.once('message', (answer: { spans: ExportedSpan[] }) => {
        finished = answer.spans;
        resolve(finished);
      });
      child.send({ cmd: 'spans' });
    });

  it('connects one command from its HTTP span to the relay’s produce span, and the CloudEvent continues it', async () => {
    const body = enrollment({ patientRef: PATIENT_REF });
    const enrolled = await api.post('/v1/courses', body);
    expect(enrolled.status).toBe(201);
    expect((await api.post(`/v1/courses/${body.courseId}/sessions`, session(1))).status).toBe(200);
    const homework = await api.post(
      `/v1/courses/${body.courseId}/homework`,
      homeworkOf('letter-to-sister', { description: HOMEWORK_TEXT }),
    );
    expect(homework.status).toBe(200);

    const streamId = `course-${body.courseId}`;
    const spans = () => finished;
    const produceOf = (revision: number) =>
      spans().find(
        (s) =>
          s.name === `send ${topics.courseEvents}` &&
          s.attributes['ipt.event_store.stream'] === streamId &&
          s.attributes['ipt.event_store.revision'] === revision,
      );
    await waitFor(
      async () => (await collect()) && produceOf(0) !== undefined && produceOf(2) !== undefined,
      30000,
      () =>
        spans()
          .map((s) => s.name)
          .join(', '),
    );

    // The enrollment: every span from the produce span up to the HTTP span, one trace.
    const produce = produceOf(0)!;
    const byId = new Map(spans().map((s) => [s.spanId, s]));
    const chain: ExportedSpan[] = [produce];
    for (let s = produce; s.parentSpanId;) {
      s = byId.get(s.parentSpanId)!;
      expect(s).toBeDefined();
      chain.push(s);
    }
    expect(chain.map((s) => s.name)).toEqual([
      `send ${topics.courseEvents}`,
      'append',
      'command EnrollPatient',
      'POST /v1/courses',
    ]);
    expect(new Set(chain.map((s) => s.traceId)).size).toBe(1);
    const [, append, command, http] = chain;
    expect(http.attributes).toMatchObject({
      'http.route': '/v1/courses',
      'http.response.status_code': 201,
    });
    expect(append.attributes).toMatchObject({
      'ipt.event_store.stream': streamId,
      'ipt.event_store.expected_revision': 'no_stream',
      'ipt.event_store.revision': 0,
    });
    const decide = spans().find((s) => s.name === 'decide' && s.parentSpanId === command.spanId);
    expect(decide?.attributes['ipt.command.type']).toBe('EnrollPatient');
    // The relay's transaction links to the produce spans it committed.
    const transaction = spans().find(
      (s) => s.name === 'relay transaction' && s.links.some((l) => l.spanId === produce.spanId),
    );
    expect(transaction).toBeDefined();
    // The read side's batch links back to the command's trace.
    await waitFor(
      async () =>
        (await collect()).some(
          (s) =>
            s.name.startsWith('project ') && s.links.some((l) => l.traceId === produce.traceId),
        ),
      10000,
    );

    // The consumer sees the produce span's context in the CloudEvent, and it validates.
    const messages = await readFeed(testBrokers(), [topics.courseEvents], {
      done: (got) => got.filter((m) => m.key === body.courseId).length >= 3,
    });
    const events = messages
      .filter((m) => m.key === body.courseId)
      .map((m) => JSON.parse(m.raw.toString('utf8')) as Record<string, unknown>);
    expect(events[0].traceparent).toBe(`00-${produce.traceId}-${produce.spanId}-01`);
    const schemas = feedSchemas();
    for (const event of events) expect(schemas.cloudEvent(event)).toEqual([]);

    // The homework request's route is its template: the clinic's homework id stays out.
    const homeworkHttp = spans().find((s) =>
      s.name.startsWith('POST /v1/courses/:courseId/homework'),
    );
    expect(homeworkHttp).toBeDefined();

    // No attribute or span name anywhere holds PHI or request text.
    const everything = JSON.stringify(
      spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
    );
    for (const secret of [PATIENT_REF, HOMEWORK_TEXT, 'letter-to-sister']) {
      expect(everything).not.toContain(secret);
    }
  }, 90000);
});
