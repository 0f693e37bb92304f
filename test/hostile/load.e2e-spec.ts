/**
 * Load one client can put on the others (issue 8, items 3 and 5): reads
 * waiting on X-Min-Revision are woken by the projection, capped in number
 * and dropped when their client leaves; concurrent valid commands on one
 * course all succeed.
 */
import { randomUUID } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver, assessment } from '../e2e/course-scenario';
import { expectProblem, fromFetch } from './hostile-support';

const MAX_WAITERS = 3;

describe('load from hostile clients', () => {
  let app: LedgerApp;
  let clinician: LedgerClient;
  const token = tokenFor(`clinic-${randomUUID().slice(0, 8)}`, ['clinician', 'auditor']);

  beforeAll(async () => {
    app = await startLedgerApp({ env: { MAX_VIEW_WAITERS: String(MAX_WAITERS) } });
    clinician = new LedgerClient(app.baseUrl, token);
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  const waiters = async (): Promise<number> => {
    const text = (await clinician.get('/metrics')).body as string;
    return Number(/^ipt_view_waiters (\d+)$/m.exec(text)?.[1]);
  };

  describe('3. X-Min-Revision waits', () => {
    it('a waiting read is answered once the projection reaches its revision', async () => {
      const course = await CourseDriver.enroll(clinician);
      await course.view();
      const pending = clinician.get(course.path(), { 'x-min-revision': '1' });
      await waitFor(
        async () => (await waiters()) === 1,
        10000,
        () => 'the read never waited',
      );
      await course.send('/assessments', assessment('GAD-7', [1, 1, 1, 1, 1, 1, 1]));
      const answer = await pending;
      expect(answer.status).toBe(200);
      expect(answer.body.revision).toBe(1);
      expect(await waiters()).toBe(0);
    });

    it(`at most ${MAX_WAITERS} wait; more answer 503 view_not_ready with Retry-After at once`, async () => {
      const course = await CourseDriver.enroll(clinician);
      await course.view();
      const pending = Array.from({ length: MAX_WAITERS }, () =>
        clinician.get(course.path(), { 'x-min-revision': '1' }),
      );
      await waitFor(async () => (await waiters()) === MAX_WAITERS, 10000);
      const refused = await clinician.get(course.path(), { 'x-min-revision': '1' });
      expectProblem(fromFetch(refused), 503, 'view_not_ready');
      expect(refused.headers.get('retry-after')).toBe('1');
      // The refusal came while the others still wait; the command then wakes all of them.
      expect(await waiters()).toBe(MAX_WAITERS);
      await course.send('/assessments', assessment('GAD-7', [1, 1, 1, 1, 1, 1, 1]));
      for (const answer of await Promise.all(pending)) expect(answer.status).toBe(200);
    });

    it('a read whose client leaves stops waiting and frees its place', async () => {
      const course = await CourseDriver.enroll(clinician);
      await course.view();
      const controllers = Array.from({ length: MAX_WAITERS }, () => new AbortController());
      const abandoned = controllers.map((controller) =>
        fetch(app.baseUrl + course.path(), {
          headers: {
            authorization: `Bearer ${token}`,
            'x-min-revision': '1',
          },
          signal: controller.signal,
        }).catch((error: Error) => error.name),
      );
      await waitFor(async () => (await waiters()) === MAX_WAITERS, 10000);
      for (const controller of controllers) controller.abort();
      expect(await Promise.all(abandoned)).toEqual(controllers.map(() => 'AbortError'));
      await waitFor(
        async () => (await waiters()) === 0,
        10000,
        () => 'abandoned reads still wait',
      );
      // Their places are free again.
      const pending = clinician.get(course.path(), { 'x-min-revision': '1' });
      await waitFor(async () => (await waiters()) === 1, 10000);
      await course.send('/assessments', assessment('GAD-7', [1, 1, 1, 1, 1, 1, 1]));
      expect((await pending).status).toBe(200);
    });
  });

  describe('5. a hot course', () => {
    it('150 concurrent valid commands on one course all succeed, in a gap-free history', async () => {
      const course = await CourseDriver.enroll(clinician);
      const answers = await Promise.all(
        Array.from({ length: 150 }, () =>
          course.attempt('/assessments', assessment('GAD-7', [0, 1, 0, 1, 0, 1, 0])),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(150);
      const revisions = answers.map((a) => a.body.revision as number).sort((a, b) => a - b);
      expect(revisions).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      const history = await clinician.get(course.path('/history'));
      expect(history.body.events.map((e: { revision: number }) => e.revision)).toEqual(
        Array.from({ length: 151 }, (_, i) => i),
      );
    });
  });
});
