/**
 * The contract of the read-model port, run on each database: the projections'
 * writes (ProjectionTarget: rows and checkpoint together) and the API's
 * queries (ReadModelReader), on a generated clinic whose answers are known
 * from the pure folds (libs/projections/src/testing/generated-clinic.ts).
 */
import { DAY_MS } from '@ipt/course';
import type { RecordedEvent } from '@ipt/event-store';
import {
  CLINIC_SUMMARY,
  COURSE_COMPLETION,
  COURSE_OUTCOMES,
  ENGAGEMENT_REASONS,
  type ProjectionTarget,
  type ReadModelReader,
} from '@ipt/projections';
import {
  NOW,
  courseEvents,
  courseIdOf,
  engagementOf,
  recorded,
} from '../../libs/projections/src/testing/generated-clinic';

export interface ReadModelFixture {
  /** Targets of the three read models and a reader, on one fresh database. */
  open(): Promise<{ targets: ProjectionTarget[]; reader: ReadModelReader }>;
  close(): Promise<void>;
}

const COURSES = 300;
const clinic1 = Array.from({ length: COURSES }, (_, i) => i).filter((i) => i % 10 !== 9);

/** The log of the generated clinic in position order, as the runner hands it on in batches. */
function logOf(courses: number): RecordedEvent[] {
  return Array.from({ length: courses }, (_, i) => recorded(i))
    .flat()
    .sort((a, b) => (a.position < b.position ? -1 : 1));
}

function batches<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

export function readModelContract(name: string, fixture: ReadModelFixture): void {
  describe(`read models: ${name}`, () => {
    let targets: ProjectionTarget[];
    let reader: ReadModelReader;
    const log = logOf(COURSES);
    const target = (projection: string) => targets.find((t) => t.name === projection)!;

    beforeAll(async () => {
      ({ targets, reader } = await fixture.open());
    });
    afterAll(() => fixture.close());

    it('starts with no checkpoint and no rows', async () => {
      for (const t of targets) await expect(t.checkpoint()).resolves.toBeUndefined();
      expect(await reader.courseRow('clinic-1', courseIdOf(0), NOW)).toBeUndefined();
      expect(await reader.checkpoints()).toBe('');
    });

    it('commits rows and checkpoint together, batch after batch', async () => {
      // Batches cut across courses: a course's events arrive over several commits.
      for (const batch of batches(log, 97)) {
        const position = batch[batch.length - 1].position;
        for (const t of targets) await t.commit(batch, position);
      }
      const last = log[log.length - 1].position;
      for (const t of targets) await expect(t.checkpoint()).resolves.toBe(last);
      const positions = await reader.checkpoints();
      for (const projection of [COURSE_COMPLETION, COURSE_OUTCOMES, CLINIC_SUMMARY])
        expect(positions).toContain(`${projection}:${last}`);
    });

    it('serves each course view at its last revision, with the engagement of the pure rule', async () => {
      for (const i of clinic1.slice(0, 60)) {
        const row = await reader.courseRow('clinic-1', courseIdOf(i), NOW);
        expect(row?.revision).toBe(courseEvents(i).length - 1);
        const view = JSON.parse(row!.view);
        expect(view).toMatchObject({ courseId: courseIdOf(i), clinicId: 'clinic-1' });
        expect(view.engagement).toEqual(engagementOf(i, NOW));
        const outcomes = await reader.row('course_outcomes', 'clinic-1', courseIdOf(i));
        expect(outcomes?.revision).toBe(row!.revision);
        expect(JSON.parse(outcomes!.view)).toHaveProperty('instruments');
      }
    });

    it("answers nothing for another clinic's course, as for a missing one", async () => {
      const theirs = courseIdOf(9); // every tenth course is other-clinic's
      expect(await reader.courseRow('other-clinic', theirs, NOW)).toBeDefined();
      expect(await reader.courseRow('clinic-1', theirs, NOW)).toBeUndefined();
      expect(await reader.row('course_outcomes', 'clinic-1', theirs)).toBeUndefined();
      expect(await reader.courseRow('clinic-1', courseIdOf(COURSES + 1), NOW)).toBeUndefined();
    });

    const listAll = async (query: Record<string, unknown>, nowMs = NOW) => {
      const items: { courseId: string; enrolledAt: string; status: string; engagement: unknown }[] =
        [];
      let after: { enrolledAt: string; courseId: string } | undefined;
      for (;;) {
        const page = await reader.listCourses({
          clinicId: 'clinic-1',
          nowMs,
          limit: 23,
          after,
          ...query,
        });
        items.push(...page.views.map((v) => JSON.parse(v)));
        if (page.keys.length < 23) return items;
        after = page.keys[page.keys.length - 1];
      }
    };

    it('pages through the clinic newest enrollment first, each course once', async () => {
      const all = await listAll({});
      expect(all.map((c) => c.courseId).sort()).toEqual(clinic1.map(courseIdOf).sort());
      const keys = all.map((c) => [c.enrolledAt, c.courseId]);
      const sorted = [...keys].sort((a, b) =>
        a[0] === b[0] ? (a[1] < b[1] ? 1 : -1) : a[0] < b[0] ? 1 : -1,
      );
      expect(keys).toEqual(sorted);
    });

    it('filters by status and therapist', async () => {
      const completed = await listAll({ status: 'completed' });
      expect(completed.length).toBeGreaterThan(0);
      expect(completed.every((c) => c.status === 'completed')).toBe(true);
      expect(completed.map((c) => c.courseId).sort()).toEqual(
        clinic1
          .filter((i) => i % 7 === 4)
          .map(courseIdOf)
          .sort(),
      );
      const t2 = await listAll({ therapistId: 't2' });
      expect(t2.map((c) => c.courseId).sort()).toEqual(
        clinic1
          .filter((i) => i % 3 === 2)
          .map(courseIdOf)
          .sort(),
      );
    });

    for (const later of [0, 1, 60]) {
      it(`lists and counts the courses at risk as the pure rule says, NOW + ${later} days`, async () => {
        const nowMs = NOW + later * DAY_MS;
        const expected = clinic1.filter((i) => engagementOf(i, nowMs)?.atRisk === true);
        const atRisk = await listAll({ atRisk: true }, nowMs);
        expect(atRisk.map((c) => c.courseId).sort()).toEqual(expected.map(courseIdOf).sort());
        const notAtRisk = await listAll({ atRisk: false }, nowMs);
        expect(notAtRisk.map((c) => c.courseId).sort()).toEqual(
          clinic1
            .filter((i) => engagementOf(i, nowMs)?.atRisk === false)
            .map(courseIdOf)
            .sort(),
        );
        expect(await listAll({ atRisk: true, status: 'completed' }, nowMs)).toEqual([]);
        await expect(reader.countAtRisk('clinic-1', nowMs)).resolves.toBe(expected.length);
        const byReason = (await reader.countAtRiskByClinicAndReason(nowMs)).filter(
          (c) => c.clinicId === 'clinic-1',
        );
        expect(Object.fromEntries(byReason.map((c) => [c.reason, c.courses]))).toEqual(
          Object.fromEntries(
            ENGAGEMENT_REASONS.map((reason) => [
              reason,
              clinic1.filter((i) => engagementOf(i, nowMs)?.reasons.includes(reason)).length,
            ]),
          ),
        );
      });
    }

    it('gives the clinic summary one contribution per course of the clinic', async () => {
      const contributions = await reader.clinicContributions('clinic-1');
      expect(contributions).toHaveLength(clinic1.length);
      expect(await reader.clinicContributions('nobody')).toEqual([]);
    });

    it('skips events a row already reflects (a log delivered again after a restart)', async () => {
      const before = await reader.courseRow('clinic-1', courseIdOf(3), NOW);
      const again = recorded(3);
      const position = log[log.length - 1].position + 1n;
      await target(COURSE_COMPLETION).commit(again, position);
      expect(await reader.courseRow('clinic-1', courseIdOf(3), NOW)).toEqual(before);
      await expect(target(COURSE_COMPLETION).checkpoint()).resolves.toBe(position);
    });

    it('a reset empties the read model and its checkpoint, and a replay gives the same views', async () => {
      const before = await listAll({});
      const completion = target(COURSE_COMPLETION);
      await completion.reset();
      await expect(completion.checkpoint()).resolves.toBeUndefined();
      expect(await reader.courseRow('clinic-1', courseIdOf(0), NOW)).toBeUndefined();
      expect(await reader.checkpoints()).not.toContain(COURSE_COMPLETION);
      // The other read models are untouched.
      expect(await reader.row('course_outcomes', 'clinic-1', courseIdOf(0))).toBeDefined();
      await completion.commit(log, log[log.length - 1].position);
      expect(await listAll({})).toEqual(before);
    });

    it('a rebuild into a shadow copy gives the views of the incremental build, with more courses than it keeps in memory', async () => {
      // Each course's events far apart in the log (one round of every course after another):
      // a shadow written out in batches meets most courses again after their row was written.
      const many = Array.from({ length: 6000 }, (_, i) => recorded(1000 + i));
      const rounds = Math.max(...many.map((events) => events.length));
      const big = Array.from({ length: rounds }, (_, k) =>
        many.flatMap((events) => (k < events.length ? [events[k]] : [])),
      )
        .flat()
        .map((event, n) => ({ ...event, position: BigInt(n + 1) }));
      const last = big[big.length - 1].position;
      const sample = Array.from({ length: 6000 }, (_, i) => 1000 + i).filter((i) => i % 7 === 0);
      const views = async () => ({
        courses: await listAll({ limit: 500 }),
        outcomes: await Promise.all(
          sample.map((i) =>
            reader.row(
              'course_outcomes',
              i % 10 === 9 ? 'other-clinic' : 'clinic-1',
              courseIdOf(i),
            ),
          ),
        ),
        summary: (await reader.clinicContributions('clinic-1'))
          .map((c) => JSON.stringify(c))
          .sort(),
      });
      for (const t of targets) {
        await t.reset();
        for (const batch of batches(big, 5000))
          await t.commit(batch, batch[batch.length - 1].position);
      }
      const incremental = await views();
      expect(incremental.courses.length).toBeGreaterThan(5000);
      expect(incremental.outcomes.every((row) => row !== undefined)).toBe(true);

      for (const t of targets) {
        const copies = t.rebuilds!;
        const progress = await copies.requests.request(t.name);
        const shadow = await copies.createShadow(String(progress.id));
        for (const slice of batches(big, 500)) await shadow.apply(slice);
        while (!(await shadow.flush(100)));
        const done = { ...progress, state: 'done' as const, eventsDone: big.length };
        expect(await shadow.switchOver(last, big.length, done)).toBe(true);
        while (!(await copies.dropUnused(1000)));
        await expect(t.checkpoint()).resolves.toBe(last);
      }
      expect(await views()).toEqual(incremental);
    });
  });
}
