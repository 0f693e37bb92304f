/**
 * The production shape end to end: an EventStoreDB (the protocol test
 * server), PostgreSQL (DATABASE_URL), a Kafka broker; two stateless API
 * instances (RUN_PROJECTIONS=false, each with its own empty DATA_DIR), an
 * active projector and a hot-standby one, a relay. Full courses are driven
 * with each command sent to the instance the previous one was not, and each
 * view read from the other instance with X-Min-Revision. Mid-run the active
 * projector is SIGKILLed: the standby takes over from the checkpoints, every
 * read still answers, and at the end every view equals the same commands'
 * views on the embedded mode (one process, SQLite), and the feed holds each
 * event exactly once, in order per course.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_TOPICS } from '@ipt/analytics-feed';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import {
  LedgerClient,
  PROJECTOR_MAIN,
  RELAY_MAIN,
  startLedgerApp,
  tokenFor,
  type HttpAnswer,
  type LedgerApp,
} from '../support/ledger-app';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import {
  assertExactlyOnceInOrder,
  type FeedMessage,
  parseEvents,
  readFeed,
  testBrokers,
  waitFor,
} from '../support/kafka-feed';
import { assessment, day, enrollment, session } from '../e2e/course-scenario';

jest.setTimeout(180_000);

const CLINIC = `clinic-shape-${randomUUID().slice(0, 8)}`;
const COURSES = 6;

interface Step {
  path: string;
  body: Record<string, unknown> | ((answers: HttpAnswer[]) => Record<string, unknown>);
  /** A path that depends on earlier answers (a risk flag's id). */
  pathOf?: (answers: HttpAnswer[]) => string;
}

const stepsByCourse = new Map<string, Step[]>();

/**
 * Course i's commands: a full IPT course for odd i, a course still under way
 * for even i. Made once per course, so every deployment is sent the same.
 */
function courseSteps(courseId: string, i: number): Step[] {
  const made = stepsByCourse.get(courseId) ?? makeSteps(courseId, i);
  stepsByCourse.set(courseId, made);
  return made;
}

function makeSteps(courseId: string, i: number): Step[] {
  const c = `/v1/courses/${courseId}`;
  const steps: Step[] = [
    { path: '/v1/courses', body: enrollment({ courseId, therapistId: `t-${i % 2}` }) },
    {
      path: `${c}/assessments`,
      body: assessment('PHQ-9', [3, 3, 2, 2, 2, 2, 2, 2, 0], {
        timepoint: 'baseline',
        administeredAt: day(0, 9),
      }),
    },
    { path: `${c}/problem-area`, body: { area: i % 3 === 0 ? 'grief' : 'role_transition' } },
    ...[1, 2, 3].map((n) => ({ path: `${c}/sessions`, body: session(n) })),
    {
      path: `${c}/homework`,
      body: {
        homeworkId: 'hw-1',
        sessionNumber: 1,
        dueAt: day(7),
        description: 'Talk to a friend',
      },
    },
    { path: `${c}/homework/hw-1/submission`, body: { submittedAt: day(5) } },
    { path: `${c}/missed-sessions`, body: { scheduledAt: day(28, 15), kind: 'did_not_attend' } },
    {
      path: `${c}/assessments`,
      body: assessment('PHQ-9', [2, 2, 1, 1, 1, 1, 1, 1, 1], { administeredAt: day(35, 11) }),
    },
    {
      path: '',
      pathOf: (answers) =>
        `${c}/risk-flags/${answers[answers.length - 1].body.riskFlagId}/resolution`,
      body: { disposition: 'safety_plan', note: 'Plan agreed' },
    },
  ];
  if (i % 2 === 1) {
    steps.push(
      ...Array.from({ length: 9 }, (_, k) => ({ path: `${c}/sessions`, body: session(k + 4) })),
      {
        path: `${c}/assessments`,
        body: assessment('PHQ-9', [1, 1, 1, 0, 0, 0, 0, 1, 0], {
          timepoint: 'end',
          administeredAt: day(77, 11),
        }),
      },
      { path: `${c}/completion`, body: { completedAt: day(77, 12) } },
    );
  } else {
    steps.push({ path: `${c}/sessions`, body: session(4) });
  }
  return steps;
}

/** Sends the steps; `clients[k % n]` sends step k, the next one reads the view at its revision. */
async function drive(
  clients: LedgerClient[],
  courseId: string,
  i: number,
  onRead: (answer: HttpAnswer, table: string) => void,
): Promise<void> {
  const answers: HttpAnswer[] = [];
  const steps = courseSteps(courseId, i);
  for (const [k, step] of steps.entries()) {
    const writer = clients[(i + k) % clients.length];
    const reader = clients[(i + k + 1) % clients.length];
    const path = step.pathOf ? step.pathOf(answers) : step.path;
    const body = typeof step.body === 'function' ? step.body(answers) : step.body;
    // A key per command: a retry gets the first answer, on any instance, and the ids
    // derived from it are the same on every deployment.
    const answer = await writer.post(path, body, { 'idempotency-key': `${courseId}:${k}` });
    if (answer.status !== 200 && answer.status !== 201)
      throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    answers.push(answer);
    const revision = String(answer.body.revision);
    for (const table of ['', '/outcomes'])
      onRead(
        await reader.get(`/v1/courses/${courseId}${table}`, { 'x-min-revision': revision }),
        table,
      );
  }
  // The last command again, on the other instance: the first answer, not a second event.
  const last = steps.length - 1;
  const replay = await clients[(i + last + 1) % clients.length].post(
    steps[last].pathOf ? steps[last].pathOf!(answers) : steps[last].path,
    typeof steps[last].body === 'function' ? steps[last].body(answers) : steps[last].body,
    { 'idempotency-key': `${courseId}:${last}` },
  );
  expect([replay.status, replay.body]).toEqual([answers[last].status, answers[last].body]);
}

const STARTED = Date.now();

/**
 * A view with its recording instants (when a fact was recorded, e.g. a risk
 * flag's raisedAt) and the ids keyed commands derive made comparable across deployments: the clinical times of
 * these scenarios are all in 2025, the recording times all during this run.
 */
function comparable(view: unknown): unknown {
  return JSON.parse(JSON.stringify(view), (key, value: unknown) =>
    // Keyed commands derive new ids (the pseudonym, a risk flag's id) from their digest, which
    // is keyed by the course's own key: equal within a deployment, not across two.
    key === 'subjectId' || key === 'flagId'
      ? '<id derived in this deployment>'
      : typeof value === 'string' &&
          /^\d{4}-\d\d-\d\dT/.test(value) &&
          Date.parse(value) >= STARTED - 1000
        ? '<recorded during the run>'
        : value,
  );
}

describe('the production shape: two API instances, projector and standby, relay, PostgreSQL', () => {
  let esdb: EsdbTestServer;
  let database: TestDatabase;
  let apis: LedgerApp[] = [];
  const projectors: LedgerApp[] = [];
  let relay: LedgerApp | undefined;
  let embedded: LedgerApp | undefined;

  beforeAll(async () => {
    [esdb, database] = await Promise.all([startEsdbTestServer(), createTestDatabase()]);
    const shared = {
      EVENTSTORE_CONNECTION_STRING: esdb.connectionString,
      DATABASE_URL: database.url,
    };
    // The course keys are in PostgreSQL too: every instance and the projector unwrap them with one KEK.
    const keys = { PHI_KEK: randomBytes(32).toString('base64') };
    apis = await Promise.all(
      [1, 2].map(() => startLedgerApp({ env: { ...shared, ...keys, RUN_PROJECTIONS: 'false' } })),
    );
    const projector = () =>
      startLedgerApp({
        env: { ...shared, ...keys, LOG_LEVEL: 'info', CHECKPOINT_INTERVAL_MS: '60000' },
        worker: { main: PROJECTOR_MAIN, readyText: 'waiting for the projector lock' },
      });
    projectors.push(await projector());
    await waitFor(
      () => projectors[0].output().includes('"msg":"projecting"'),
      20_000,
      () => `the first projector to take the lock:\n${projectors[0].output()}`,
    );
    projectors.push(await projector());
    relay = await startLedgerApp({
      env: {
        ...shared,
        LOG_LEVEL: 'info',
        KAFKA_BROKERS: testBrokers().join(','),
        RELAY_TRANSACTIONAL_ID: `shape-${randomUUID()}`,
      },
      worker: { main: RELAY_MAIN, readyText: 'relay lock held' },
    });
    embedded = await startLedgerApp();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...apis, ...projectors, relay, embedded].map((p) => p?.stop()));
    await esdb?.stop();
    await database?.drop();
  });

  it('serves every answer and view from any instance, through a projector crash, exactly once on the feed', async () => {
    const token = tokenFor(CLINIC, ['clinician', 'auditor']);
    const clients = apis.map((api) => new LedgerClient(api.baseUrl, token));
    const courseIds = Array.from({ length: COURSES }, () => randomUUID());
    const reads: { status: number; body: unknown }[] = [];
    const record = (answer: HttpAnswer) => reads.push({ status: answer.status, body: answer.body });

    // The standby waits: it has not taken the lock.
    expect(projectors[1].output()).not.toContain('"msg":"projecting"');
    for (const [i, courseId] of courseIds.slice(0, COURSES / 2).entries())
      await drive(clients, courseId, i, record);
    // Mid-run: the active projector dies without a word while the next courses are driven.
    const rest = Promise.all(
      courseIds
        .slice(COURSES / 2)
        .map((courseId, j) => drive(clients, courseId, COURSES / 2 + j, record)),
    );
    await projectors[0].stop('SIGKILL');
    await waitFor(
      () => projectors[1].output().includes('"msg":"projecting"'),
      10_000,
      () => `the standby to take over:\n${projectors[1].output()}`,
    );
    await rest;
    // Every read answered, at the revision asked for (none timed out waiting for a projector).
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);

    // The same commands on the embedded mode: the views must be the same.
    const reference = new LedgerClient(embedded!.baseUrl, token);
    for (const [i, courseId] of courseIds.entries())
      await drive([reference], courseId, i, () => undefined);
    for (const courseId of courseIds) {
      for (const table of ['', '/outcomes']) {
        const want = await reference.get(`/v1/courses/${courseId}${table}`);
        for (const client of clients) {
          const got = await client.get(`/v1/courses/${courseId}${table}`);
          expect(got.status).toBe(200);
          expect(comparable(got.body)).toEqual(comparable(want.body));
        }
      }
    }
    const list = async (client: LedgerClient) =>
      (await client.get('/v1/courses?limit=500')).body.items.map(
        (c: { courseId: string }) => c.courseId,
      );
    const wantList = await list(reference);
    expect(await list(clients[0])).toEqual(wantList);
    expect(await list(clients[1])).toEqual(wantList);
    const wantSummary = (await reference.get(`/v1/clinics/${CLINIC}/summary`)).body;
    for (const client of clients)
      expect((await client.get(`/v1/clinics/${CLINIC}/summary`)).body).toEqual(wantSummary);

    // The feed: every event of these courses once, in order, on one partition per course.
    const expected = new Map<string, string[]>();
    for (const courseId of courseIds) {
      const history = await clients[0].get(`/v1/courses/${courseId}/history`);
      expected.set(
        courseId,
        history.body.events.map((e: { eventId: string }) => e.eventId),
      );
    }
    const total = [...expected.values()].flat().length;
    const mine = (messages: FeedMessage[]) => messages.filter((m) => expected.has(m.key));
    const feed = await readFeed(testBrokers(), [DEFAULT_TOPICS.courseEvents], {
      done: (messages) => mine(messages).length >= total,
    });
    assertExactlyOnceInOrder(parseEvents(mine(feed)), expected);
  });
});
