/**
 * The engagement queries on real SQLite: the at-risk list, the summary count
 * and the metrics count agree with the pure rule (engagementAt) for every
 * course of a generated clinic at a controlled clock, and each is an index
 * search, not a scan of the clinic's courses.
 */
import { DAY_MS, MINUTE_MS } from '@ipt/course';
import { openSqlite, type SqliteDatabase } from '@ipt/event-store';
import { migrateCheckpoints } from './projection-runner';
import { createReadModelProjections, ReadModelQueries } from './read-models';
import { ENGAGEMENT_REASONS } from './views';
import { NOW, courseIdOf, engagementOf, iso, recorded } from './testing/generated-clinic';

function projected(courses: number): SqliteDatabase {
  const db = openSqlite(':memory:');
  migrateCheckpoints(db);
  const events = Array.from({ length: courses }, (_, i) => recorded(i)).flat();
  for (const projection of createReadModelProjections()) {
    projection.migrate(db);
    db.transaction(() => projection.apply(db, events))();
  }
  return db;
}

describe('read-model queries for engagement (real SQLite)', () => {
  const COURSES = 700;
  const db = projected(COURSES);
  const queries = new ReadModelQueries(db);
  const clinic1 = Array.from({ length: COURSES }, (_, i) => i).filter((i) => i % 10 !== 9);
  afterAll(() => db.close());

  const listAll = (atRisk: boolean | undefined, nowMs: number, extra = {}) => {
    const items: { courseId: string; enrolledAt: string; engagement: unknown }[] = [];
    let after: { enrolledAt: string; courseId: string } | undefined;
    for (;;) {
      const page = queries.listCourses({
        clinicId: 'clinic-1',
        atRisk,
        nowMs,
        limit: 37,
        after,
        ...extra,
      });
      items.push(...page.views.map((v) => JSON.parse(v)));
      if (page.keys.length < 37) return items;
      after = page.keys[page.keys.length - 1];
    }
  };

  // Just below and at the 15th day of the courses enrolled 14 days ago, and a clock far later.
  for (const nowMs of [NOW, NOW + DAY_MS - 15 * MINUTE_MS, NOW + DAY_MS, NOW + 60 * DAY_MS]) {
    it(`agrees with the pure rule at NOW + ${(nowMs - NOW) / MINUTE_MS} min`, () => {
      const expected = clinic1.filter((i) => engagementOf(i, nowMs)?.atRisk === true);
      const atRisk = listAll(true, nowMs);
      expect(atRisk.map((c) => c.courseId).sort()).toEqual(expected.map(courseIdOf).sort());
      // Each item's engagement is the pure rule's at the same clock.
      for (const item of atRisk) {
        const i = Number(item.courseId.slice(-12));
        expect(item.engagement).toEqual(engagementOf(i, nowMs));
      }
      // Newest enrollment first, each once.
      const keys = atRisk.map((c) => `${c.enrolledAt} ${c.courseId}`);
      expect(keys).toEqual([...keys].sort().reverse());

      const notAtRisk = listAll(false, nowMs);
      const expectedNot = clinic1.filter((i) => engagementOf(i, nowMs)?.atRisk === false);
      expect(notAtRisk.map((c) => c.courseId).sort()).toEqual(expectedNot.map(courseIdOf).sort());

      expect(queries.countAtRisk('clinic-1', nowMs)).toBe(expected.length);
      const byReason = queries
        .countAtRiskByClinicAndReason(nowMs)
        .filter((c) => c.clinicId === 'clinic-1');
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

  it('the 14-day boundary moves courses into the list as the clock passes it', () => {
    const before = queries.countAtRisk('clinic-1', NOW + DAY_MS - 15 * MINUTE_MS);
    const after = queries.countAtRisk('clinic-1', NOW + DAY_MS);
    expect(after).toBeGreaterThan(before);
  });

  it('combines atRisk with therapistId and a closed status', () => {
    const t1 = listAll(true, NOW, { therapistId: 't1' });
    expect(t1.length).toBeGreaterThan(0);
    expect(t1.map((c) => c.courseId).sort()).toEqual(
      clinic1
        .filter((i) => i % 3 === 1 && engagementOf(i, NOW)?.atRisk)
        .map(courseIdOf)
        .sort(),
    );
    expect(listAll(true, NOW, { status: 'completed' })).toEqual([]);
  });

  it('searches indexes for the at-risk list and count: no scan of the clinic', () => {
    // A plan does not depend on the values bound (no statistics are gathered): bind zeros.
    const plan = (sql: string) =>
      (
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...Array.from(sql.matchAll(/\?/g), () => 0)) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join('\n');
    const spy = db.prepare.bind(db);
    const seen: string[] = [];
    jest.spyOn(db, 'prepare').mockImplementation((sql: string) => {
      seen.push(sql);
      return spy(sql);
    });
    const fresh = new ReadModelQueries(db);
    fresh.listCourses({ clinicId: 'clinic-1', atRisk: true, nowMs: NOW, limit: 51 });
    fresh.countAtRisk('clinic-1', NOW);
    fresh.listCourses({ clinicId: 'clinic-1', atRisk: false, nowMs: NOW, limit: 51 });
    jest.restoreAllMocks();
    expect(seen).toHaveLength(3);
    const [list, count, notAtRisk] = seen.map(plan);
    for (const p of [list, count]) {
      expect(p).toContain('MULTI-INDEX OR');
      expect(p).toContain('course_completion_by_standing_risk');
      expect(p).toContain('course_completion_by_last_contact');
      expect(p).not.toMatch(/SCAN course_completion\b(?! USING)/);
    }
    expect(notAtRisk).toMatch(
      /SEARCH course_completion USING (COVERING )?INDEX course_completion_by_standing_risk/,
    );
  });

  it('a table written by an older version (without the engagement columns) is replayed', () => {
    const old = openSqlite(':memory:');
    migrateCheckpoints(old);
    old.exec(`CREATE TABLE course_completion (course_id TEXT PRIMARY KEY, clinic_id TEXT NOT NULL,
      revision INTEGER NOT NULL, state TEXT NOT NULL, therapist_id TEXT, status TEXT, enrolled_at TEXT, view TEXT)`);
    old.exec(
      `INSERT INTO course_completion VALUES ('x', 'c', 0, '{}', 't', 'active', '2025', '{}')`,
    );
    old
      .prepare('INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?, ?, ?)')
      .run('course-completion', '42', iso(NOW));
    createReadModelProjections()[0].migrate(old);
    expect(old.prepare('SELECT COUNT(*) AS n FROM course_completion').get()).toEqual({ n: 0 });
    expect(old.prepare('SELECT * FROM projection_checkpoints').all()).toEqual([]);
    old.close();
  });
});
