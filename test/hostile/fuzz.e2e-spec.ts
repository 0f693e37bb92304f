/**
 * A seeded fuzz run of hostile requests (issue 8): 10,000 requests across
 * every route — bodies, headers, paths, tokens, methods, content types, and
 * raw bytes no HTTP client would send — against one instance, 16 at a time,
 * on loopback. Never a 5xx, never a crash, every refusal problem+json with a
 * code, and every course's history gap-free afterwards. Bounded in count
 * (REQUESTS) and in time (the test's timeout); the seed replays a failure.
 */
import { randomUUID } from 'node:crypto';
import { signToken } from '@ipt/auth';
import type { Role } from '@ipt/course';
import { checkAnswer, headersOf } from '../support/openapi-contract';
import {
  LedgerClient,
  TEST_JWT_SECRET,
  startLedgerApp,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import {
  CourseDriver,
  assessment,
  day,
  enrollment,
  homework,
  session,
} from '../e2e/course-scenario';
import { ODD_VALUES, random, rawRequest } from './hostile-support';

const SEED = 20261126;
const FETCH_REQUESTS = Number(process.env.FUZZ_FETCH ?? 9_500);
const RAW_REQUESTS = Number(process.env.FUZZ_RAW ?? 500);
const CONCURRENCY = 16;

const PROTO_KEYS = [
  'toString',
  'constructor',
  'valueOf',
  'hasOwnProperty',
  '__proto__',
  'prototype',
];
const ROLES: Role[] = ['clinician', 'auditor', 'analyst', 'admin'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('a seeded fuzz run of hostile requests', () => {
  let app: LedgerApp;

  beforeAll(async () => {
    app = await startLedgerApp();
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  it(`${FETCH_REQUESTS + RAW_REQUESTS} requests: never a 5xx, every refusal problem+json, history gap-free`, async () => {
    const clinicId = `clinic-fuzz-${randomUUID().slice(0, 6)}`;
    const clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
    const courses: CourseDriver[] = [];
    const flags: string[] = [];
    for (let c = 0; c < 3; c++) {
      const course = await CourseDriver.enroll(clinician);
      await course.send('/sessions', session(1));
      await course.send('/homework', homework('h-1'));
      const flagged = await course.send(
        '/assessments',
        assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 1]),
      );
      flags.push(flagged.body.riskFlagId);
      courses.push(course);
    }
    const foreign = await CourseDriver.enroll(
      new LedgerClient(app.baseUrl, tokenFor('clinic-fuzz-other', ['clinician'])),
    );

    const tokens: (string | undefined)[] = [
      ...ROLES.map((role) => tokenFor(clinicId, [role])),
      tokenFor(clinicId, ['clinician', 'auditor']),
      tokenFor('clinic-fuzz-other', ['clinician', 'auditor']),
      signToken(
        { sub: 'x', clinicId, roles: ['clinician'] },
        'another-secret-of-at-least-thirty-two-chars',
        600,
      ),
      signToken({ sub: 'x', clinicId, roles: ['clinician'] }, TEST_JWT_SECRET, -60),
      `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'x', clinic_id: clinicId, roles: ['admin'] })}.`,
      tokenFor(clinicId, ['clinician']).slice(0, -3) + 'AAA',
      'not-a-token',
      '',
      undefined,
    ];

    const statuses = new Map<number, number>();
    let viewNotReady = 0;
    const failures: string[] = [];
    const record = (
      what: string,
      status: number,
      contentType: string | null | undefined,
      body: string,
      method: string,
    ) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      let problem: { code?: unknown; status?: unknown } | undefined;
      try {
        problem = body ? JSON.parse(body) : undefined;
      } catch {
        problem = undefined;
      }
      const refusalOk =
        status < 400 ||
        (contentType?.startsWith('application/problem+json') &&
          (method === 'HEAD' || (typeof problem?.code === 'string' && problem.status === status)));
      // A view that has not reached X-Min-Revision within 5 s answers the documented 503 view_not_ready
      // (api.md): on a loaded machine the projection may lag that long. Any other 5xx is a failure.
      const documentedWait = status === 503 && problem?.code === 'view_not_ready';
      if (documentedWait) viewNotReady++;
      if ((status >= 500 && !documentedWait) || !refusalOk)
        failures.push(`${what} → ${status} ${contentType} ${body.slice(0, 300)}`);
    };

    /** One request, generated from its own seed so that any one can be replayed alone. */
    const fetchOne = async (i: number): Promise<void> => {
      const next = random(SEED + i);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      const course = pick(courses);
      const courseId = pick([
        course.courseId,
        course.courseId,
        course.courseId,
        foreign.courseId,
        randomUUID(),
        course.courseId.toUpperCase(),
        'not-a-uuid',
        '%00',
        '%E2%80%AE',
        'a'.repeat(120),
        '..%2F..%2Fetc',
      ]);
      const c = `/v1/courses/${courseId}`;
      const flagId = pick([...flags, randomUUID(), 'junk']);
      const commands: [string, Record<string, unknown>][] = [
        ['/v1/courses', enrollment()],
        [
          `${c}/problem-area`,
          { area: pick(['grief', 'role_dispute', 'role_transition', 'x']), reason: 'r' },
        ],
        [`${c}/sessions`, session(2 + Math.floor(next() * 14))],
        [
          `${c}/missed-sessions`,
          { scheduledAt: day(Math.floor(next() * 50)), kind: 'did_not_attend' },
        ],
        [`${c}/homework`, homework(`h-${i}`)],
        [
          `${c}/homework/${pick(['h-1', `h-${i}`, '%20', 'x'.repeat(70)])}/submission`,
          { submittedAt: day(8) },
        ],
        [
          `${c}/assessments`,
          assessment(pick(['PHQ-9', 'GAD-7', 'BDI-II', 'HRSD-17', 'XYZ']), [1, 1, 1, 1, 1, 1, 1]),
        ],
        [
          `${c}/risk-flags/${flagId}/resolution`,
          { disposition: pick(['no_current_risk', 'other', 'x']), note: 'n' },
        ],
        [`${c}/withdrawal`, { withdrawnAt: day(60), reason: 'moved' }],
        [`${c}/completion`, { completedAt: day(90) }],
        [
          `${c}/assessments/${randomUUID()}/correction`,
          { items: [0, 0, 0, 0, 0, 0, 0], reason: 'a wrong entry' },
        ],
        [
          `/v1/admin/projections/${next() < 0.02 ? 'course-outcomes' : pick(['nope', '%00', 'x'.repeat(90)])}/rebuild`,
          {},
        ],
      ];
      const reads = [
        c,
        `${c}/outcomes`,
        `${c}/history`,
        `${c}/fhir`,
        `${c}/state?revision=${pick(['0', '1', '-1', '1e9', '99999999999999999', 'x'])}`,
        `${c}/state?asOf=${encodeURIComponent(pick(['2025-01-07T00:00:00Z', 'yesterday', '9'.repeat(40)]))}`,
        `${c}/state`,
        `/v1/courses?${pick(['', 'limit=0', 'limit=501', 'limit=5&status=active', 'cursor=%FF', 'atRisk=true', 'status=x&status=y', 'therapistId=' + 'x'.repeat(80)])}`,
        `/v1/clinics/${pick([clinicId, 'clinic-fuzz-other', '%00', ''])}/summary`,
        '/v1/admin/projections',
        '/health/live',
        '/health/ready',
        '/metrics',
        '/docs-json',
        '/asyncapi.json',
        `/${pick(['', 'v1', 'v2/courses', 'v1/courses/x/y/z', 'favicon.ico', '%2e%2e/%2e%2e'])}`,
      ];
      const isCommand = next() < 0.6;
      const [route, template] = isCommand ? pick(commands) : [pick(reads), undefined];
      let method = isCommand ? 'POST' : 'GET';
      if (next() < 0.05) method = pick(METHODS);

      let body: string | undefined;
      if (method !== 'GET' && method !== 'HEAD') {
        const shape = next();
        if (shape < 0.5 && template) {
          const mutated: Record<string, unknown> = { ...template };
          for (let k = 0; k < Math.floor(next() * 3); k++) {
            const field = pick([...Object.keys(template), ...PROTO_KEYS, 'extra']);
            const roll = next();
            if (roll < 0.6) mutated[field] = pick(ODD_VALUES);
            else if (roll < 0.8) delete mutated[field];
            else mutated[`field${k}`] = pick(ODD_VALUES);
          }
          body = JSON.stringify(mutated);
        } else if (shape < 0.65 && template) body = JSON.stringify(template);
        else if (shape < 0.75) body = JSON.stringify(pick(ODD_VALUES)) ?? 'null';
        else if (shape < 0.8) body = `{"${pick(PROTO_KEYS)}":{"polluted":true}}`;
        else if (shape < 0.85) body = '['.repeat(50 + Math.floor(next() * 3000));
        else if (shape < 0.9) body = `{"a":${'{"b":'.repeat(40)}1${'}'.repeat(40)}}`;
        else if (shape < 0.95) body = pick(['{', '{"a":', 'nul', '\u0000', '{"a":1}{"b":2}', '']);
        else if (shape < 0.96) body = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
      }
      const headers: Record<string, string> = {};
      const token = pick(tokens);
      if (token !== undefined)
        headers.authorization =
          next() < 0.95
            ? `Bearer ${token}`
            : pick([token, `Basic ${token}`, 'Bearer', `Bearer  ${token} x`]);
      if (body !== undefined) {
        headers['content-type'] =
          next() < 0.85
            ? 'application/json'
            : pick([
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/json; charset=latin1',
                'application/xml',
                'multipart/form-data; boundary=x',
                '*/*',
                'application/problem+json',
              ]);
      }
      if (next() < 0.15)
        headers['idempotency-key'] = pick(['k', 'k'.repeat(200), `key-${i % 13}`, ' ']);
      if (next() < 0.1)
        headers['if-match'] = pick(['"1"', '"3"', 'W/"3"', '"-1"', '*', '"99999999999999999999"']);
      if (next() < 0.1)
        headers['x-min-revision'] = pick(['0', '-1', 'x', '1e3', '99999999999999999999']);
      if (next() < 0.1)
        headers['x-correlation-id'] = pick(['c-1', 'bad id with spaces', 'x'.repeat(200)]);

      const what = `#${i} ${method} ${route} ${JSON.stringify(headers).slice(0, 200)} ${body?.slice(0, 120) ?? ''}`;
      let response: Response;
      const t0 = Date.now();
      try {
        response = await fetch(app.baseUrl + route, { method, headers, body });
        if (process.env.FUZZ_DEBUG && Date.now() - t0 > 5000)
          process.stdout.write(`SLOW ${what} ${response.status}\n`);
      } catch (error) {
        // fetch refuses some requests itself (a forbidden header value): nothing was sent.
        if (
          error instanceof TypeError &&
          !(error as { cause?: { code?: string } }).cause?.code?.startsWith('UND_ERR_SOCKET')
        )
          return void statuses.set(0, (statuses.get(0) ?? 0) + 1);
        failures.push(
          `${what} → ${(error as Error).message} ${String((error as { cause?: unknown }).cause)}`,
        );
        return;
      }
      const text = await response.text();
      try {
        checkAnswer({
          method,
          url: route,
          status: response.status,
          headers: headersOf(response.headers),
          text,
        });
      } catch (error) {
        failures.push(`${what} → ${(error as Error).message}`);
      }
      record(what, response.status, response.headers.get('content-type'), text, method);
    };

    /** Bytes an HTTP client library would not send: junk in the request line and headers. */
    const rawOne = async (i: number): Promise<void> => {
      const next = random(SEED * 7 + i);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      const junk = (n: number) =>
        Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 256))).join('');
      const path = pick([
        `/v1/courses/${junk(8)}`,
        `/v1/courses/%${junk(2)}`,
        `/v1/courses/${courses[0].courseId}/history${junk(3)}`,
        `/${junk(20)}`,
        '/v1/courses/%E0%A4%A',
        `/v1/courses?${junk(10)}`,
        '*',
        'http://evil.example/v1/courses',
        '/' + 'a'.repeat(20000),
      ]);
      const token = tokenFor(clinicId, ['clinician', 'auditor']);
      const lines = [
        `${pick(['GET', 'POST', 'get', 'G\u0000T', 'PROPFIND', junk(4)])} ${path} ${pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', junk(4)])}`,
        'Host: 127.0.0.1',
        `Authorization: Bearer ${token}`,
      ];
      if (next() < 0.3) lines.push(`X-Junk: ${junk(30)}`);
      if (next() < 0.2)
        lines.push(`Content-Length: ${pick(['5', '-5', 'x', '99999999999999999999'])}`);
      if (next() < 0.1) lines.push('Transfer-Encoding: chunked', 'Content-Length: 3');
      const request = Buffer.from(
        lines.join('\r\n') + '\r\n\r\n' + (next() < 0.3 ? '{"a":1}' : ''),
        'latin1',
      );
      try {
        const answer = await rawRequest(app.baseUrl, request);
        record(
          `raw #${i} ${JSON.stringify(lines[0]).slice(0, 200)}`,
          answer.status,
          answer.headers['content-type'],
          answer.body,
          'RAW',
        );
      } catch (error) {
        // A connection the server closes without a word is acceptable only if it never was HTTP.
        failures.push(
          `raw #${i} ${JSON.stringify(lines[0]).slice(0, 200)} → ${(error as Error).message}`,
        );
      }
    };

    let sent = 0;
    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < FETCH_REQUESTS + RAW_REQUESTS) {
        const i = nextIndex++;
        const t0 = Date.now();
        if (i < FETCH_REQUESTS) await fetchOne(i);
        else await rawOne(i - FETCH_REQUESTS);
        if (process.env.FUZZ_DEBUG && Date.now() - t0 > 1000)
          process.stdout.write(`slow #${i} ${Date.now() - t0} ms\n`);
        sent++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    process.stdout.write(
      `fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}\n`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(sent).toBe(FETCH_REQUESTS + RAW_REQUESTS);
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    expect(fiveHundreds).toBe(viewNotReady);
    // The seed reaches acceptance, validation, tokens, roles, tenancy, the domain rules and the edge.
    for (const status of [200, 201, 400, 401, 403, 404, 409, 413, 415])
      expect([status, statuses.get(status) ?? 0]).not.toEqual([status, 0]);

    // Still up, and every course's history is a gap-free sequence that folds into its view.
    process.kill(app.pid, 0);
    expect((await clinician.get('/health/ready')).status).toBe(200);
    for (const course of [...courses]) {
      const history = (await clinician.get(course.path('/history'))).body.events as {
        revision: number;
      }[];
      expect(history.map((e) => e.revision)).toEqual(history.map((_, k) => k));
      course.revision = history[history.length - 1].revision;
      expect((await course.view()).revision).toBe(course.revision);
    }
  }, 600000);
});
