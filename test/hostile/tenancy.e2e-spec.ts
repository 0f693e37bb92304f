/**
 * Another clinic's course is answered exactly like a missing one (api.md,
 * auth and tenancy; issue 8, item 2): the same status, the same bytes and the
 * same headers (only date and request ids differ), on every route that names
 * a course, for every role, with and without the optional headers.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '@ipt/course';
import { checkAnswer, headersOf } from '../support/openapi-contract';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, day, homework, session } from '../e2e/course-scenario';

const ROLES: Role[] = ['clinician', 'auditor', 'analyst', 'admin'];
/** Headers that differ between any two answers. */
const PER_ANSWER = new Set(['date', 'x-request-id', 'request-id', 'x-correlation-id']);

async function rawAnswer(
  baseUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(baseUrl + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  checkAnswer({
    method,
    url: route,
    status: response.status,
    headers: headersOf(response.headers),
    text,
  });
  const kept: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (!PER_ANSWER.has(name)) kept.push([name, value]);
  });
  return {
    status: response.status,
    headers: Object.fromEntries(kept),
    body: text,
  };
}

describe('another clinic’s course, byte for byte like a missing one', () => {
  let app: LedgerApp;

  beforeAll(async () => {
    app = await startLedgerApp();
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  it('on every route, for every role, with and without optional headers', async () => {
    const owner = new LedgerClient(app.baseUrl, tokenFor('clinic-owner', ['clinician']));
    const course = await CourseDriver.enroll(owner);
    await course.send('/sessions', session(1));
    const flagged = await course.send(
      '/assessments',
      assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 1]),
    );
    await course.view();
    const missingId = randomUUID();

    const commands: [string, unknown][] = [
      ['/problem-area', { area: 'grief' }],
      ['/sessions', session(2)],
      ['/missed-sessions', { scheduledAt: day(1), kind: 'did_not_attend' }],
      ['/homework', homework('h')],
      ['/homework/h/submission', { submittedAt: day(2) }],
      ['/assessments', assessment('GAD-7', [0, 0, 0, 0, 0, 0, 0])],
      [`/risk-flags/${flagged.body.riskFlagId}/resolution`, { disposition: 'no_current_risk' }],
      ['/withdrawal', { withdrawnAt: day(1), reason: 'moved' }],
      ['/completion', { completedAt: day(1) }],
      [
        `/assessments/${randomUUID()}/correction`,
        { items: [0, 0, 0, 0, 0, 0, 0, 0, 0], reason: 'a wrong entry' },
      ],
    ];
    const views = [
      '',
      '/outcomes',
      '/history',
      '/state?revision=0',
      `/state?asOf=${day(3)}`,
      '/fhir',
    ];
    const variants: Record<string, string>[] = [
      {},
      { 'x-min-revision': '1' },
      { 'if-match': '"1"' },
      { 'idempotency-key': `k-${randomUUID()}` },
    ];

    let compared = 0;
    for (const role of ROLES) {
      // Same role, same claims, another clinic: it sees the real course and a missing one.
      const stranger = tokenFor('clinic-stranger', [role]);
      const routes: [method: string, suffix: string, body: unknown][] = [
        ...views.map((suffix): [string, string, unknown] => ['GET', suffix, undefined]),
        ...commands.map(([suffix, body]): [string, string, unknown] => ['POST', suffix, body]),
      ];
      for (const headers of variants) {
        for (const [method, suffix, body] of routes) {
          const answer = (courseId: string) =>
            rawAnswer(
              app.baseUrl,
              stranger,
              method,
              `/v1/courses/${courseId}${suffix}`,
              body,
              headers,
            );
          const foreign = await answer(course.courseId);
          const missing = await answer(missingId);
          expect({ role, method, suffix, sent: headers, ...foreign }).toEqual({
            role,
            method,
            suffix,
            sent: headers,
            ...missing,
          });
          compared++;
        }
      }
    }
    expect(compared).toBe(ROLES.length * variants.length * (views.length + commands.length));

    // The one 404 is the same everywhere: a view, the audit and a command's refusal.
    const clinician = tokenFor('clinic-stranger', ['clinician']);
    const bodies = new Set<string>();
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/history'],
      ['POST', '/completion'],
    ] as const) {
      const answer = await rawAnswer(
        app.baseUrl,
        clinician,
        method,
        `/v1/courses/${course.courseId}${suffix}`,
        method === 'POST' ? { completedAt: day(1) } : undefined,
      );
      expect(answer.status).toBe(404);
      bodies.add(answer.body);
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0])).toEqual({
      type: 'https://ipt-course-ledger.dev/problems/course-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'no such course',
      code: 'course_not_found',
    });
    // The owner's course is untouched by all of it.
    const history = await owner
      .as(tokenFor('clinic-owner', ['auditor']))
      .get(course.path('/history'));
    expect(history.body.events).toHaveLength(course.revision + 1);
  }, 120000);
});
