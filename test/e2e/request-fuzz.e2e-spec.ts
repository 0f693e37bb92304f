/**
 * No request content may crash the process or be answered 500 (api.md,
 * errors). Seeded random bodies, headers and path values — wrong types,
 * extremes, nesting, prototype keys — against every route; every answer must
 * be a 2xx or a problem+json 4xx, and the service must stay up and consistent.
 */
import { randomUUID } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, enrollment, homework, session } from './course-scenario';
import { ODD_VALUES, random } from '../hostile/hostile-support';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */

describe('requests with arbitrary content', () => {
  let app: LedgerApp;

  beforeAll(async () => {
    app = await startLedgerApp();
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  it('are answered 2xx or 4xx problem+json, never 500, and the service stays consistent', async () => {
    const next = random(20261125);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const clinician = new LedgerClient(
      app.baseUrl,
      tokenFor('clinic-fuzz', ['clinician', 'auditor']),
    );
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    const flagged = await course.send(
      '/assessments',
      assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 1]),
    );

    const valid: [string, Record<string, unknown>][] = [
      ['/v1/courses', enrollment()],
      [course.path('/problem-area'), { area: 'grief', reason: 'changed focus' }],
      [course.path('/sessions'), session(2)],
      [
        course.path('/missed-sessions'),
        { scheduledAt: '2025-01-20T10:00:00Z', kind: 'did_not_attend' },
      ],
      [course.path('/homework'), homework('h-fuzz')],
      [course.path('/homework/h-fuzz/submission'), { submittedAt: '2025-01-08T10:00:00Z' }],
      [course.path('/assessments'), assessment('GAD-7', [1, 1, 1, 1, 1, 1, 1])],
      [
        course.path(`/risk-flags/${flagged.body.riskFlagId}/resolution`),
        { disposition: 'other', note: 'n' },
      ],
      [course.path('/withdrawal'), { withdrawnAt: '2025-01-30T10:00:00Z', reason: 'moved' }],
      [course.path('/completion'), { completedAt: '2025-01-30T10:00:00Z' }],
      [
        course.path(`/assessments/${randomUUID()}/correction`),
        { items: [0], reason: 'a wrong entry' },
      ],
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const [route, template] = pick(valid);
      const body: Record<string, unknown> = { ...template };
      // Replace, drop or add a few fields; sometimes send no object at all.
      for (let k = 0; k < 1 + Math.floor(next() * 3); k++) {
        const field = pick([...Object.keys(template), 'extra', '__proto__', 'constructor']);
        const roll = next();
        if (roll < 0.6) body[field] = pick(ODD_VALUES);
        else if (roll < 0.8) delete body[field];
        else body[`field${k}`] = pick(ODD_VALUES);
      }
      const payload = next() < 0.05 ? pick(ODD_VALUES) : body;
      const headers: Record<string, string> = {};
      if (next() < 0.2)
        headers['idempotency-key'] = pick(['k', 'k'.repeat(200), '\t', `key-${i % 7}`]);
      if (next() < 0.1) headers['if-match'] = pick(['"1"', '"-1"', '*', '"99999999999999999999"']);
      if (next() < 0.1) headers['x-correlation-id'] = pick(['c-1', 'bad id with spaces', '']);
      const answer = await clinician.post(route, JSON.stringify(payload) ?? 'null', headers);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (
        answer.status >= 500 ||
        (answer.status >= 400 &&
          !answer.headers.get('content-type')?.startsWith('application/problem+json'))
      ) {
        throw new Error(
          `#${i} POST ${route} ${JSON.stringify(payload)?.slice(0, 300)} → ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      if (answer.status >= 400) expect(typeof answer.body.code).toBe('string');
    }
    for (const path of [
      '/v1/courses/%00',
      '/v1/courses/' + 'a'.repeat(3000),
      `/v1/courses/${course.courseId}/state?revision=1e9`,
      `/v1/courses/${course.courseId}/state?asOf=${'9'.repeat(40)}`,
      '/v1/courses?limit=-0&cursor=%FF',
    ]) {
      const answer = await clinician.get(path);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }

    // Still up, and the course's history is a gap-free sequence that folds into a view.
    expect((await clinician.get('/health/ready')).status).toBe(200);
    const history = (await clinician.get(course.path('/history'))).body.events as {
      revision: number;
    }[];
    expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));
    course.revision = history[history.length - 1].revision;
    expect((await course.view()).revision).toBe(course.revision);
    // The seed reaches validation, the domain rules and acceptance alike.
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    for (const status of [200, 400, 409]) expect(statuses.get(status)).toBeGreaterThan(0);
  }, 120000);
});
