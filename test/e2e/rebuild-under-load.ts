/**
 * A rebuild under concurrent commands, over real HTTP against the built API
 * (embedded store, projections in-process; read models in SQLite or, with
 * DATABASE_URL, PostgreSQL): while the three read models are
 * rebuilt, clinicians keep sending commands and reading views, and every view
 * read answers 200, never older than a read before it. Progress shows in
 * GET /v1/admin/projections and /metrics. Afterwards the views equal those an
 * incremental build of the same log gives (a second API started on a copy of
 * the events alone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqliteEventStore } from '@ipt/event-store';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { appendInterleaved, generateCourse } from '../support/kafka-courses';
import { waitFor } from '../support/wait-for';
import { CourseDriver } from './course-scenario';

const CLINIC = 'clinic-rebuild-e2e';
const NAMES = ['course-completion', 'course-outcomes', 'clinic-summary'];

interface Progress {
  state: string;
  eventsDone: number;
  eventsTotal: number | null;
  eventsPerSecond: number | null;
  secondsLeft: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Where an API keeps its read models: nothing (SQLite files in its data
 * folder) or DATABASE_URL of a fresh database; each app gets its own.
 */
export type ReadModelDatabase = () => Promise<{
  env: Record<string, string>;
  drop(): Promise<void>;
  /** Gives it the course keys of another one (the key store lives with the shared state). */
  copyKeysFrom?(other: { env: Record<string, string> }): Promise<void>;
}>;

export function rebuildUnderLoadSuite(label: string, readModels: ReadModelDatabase): void {
  describe(`a rebuild under concurrent commands (${label})`, () => {
    const apps: LedgerApp[] = [];
    const drops: (() => Promise<void>)[] = [];

    afterAll(async () => {
      for (const app of apps) await app.stop();
      for (const drop of drops) await drop();
    });

    const databases: Awaited<ReturnType<ReadModelDatabase>>[] = [];
    const start = async (dataDir: string) => {
      const database = await readModels();
      drops.push(() => database.drop());
      // The second app opens the first one's sealed PHI: same keys, same KEK.
      if (databases.length > 0) await database.copyKeysFrom?.(databases[0]);
      databases.push(database);
      const app = await startLedgerApp({ dataDir, env: database.env });
      apps.push(app);
      return app;
    };

    it('answers every view read with 200 during the rebuild, and ends equal to the incremental build', async () => {
      // A store with history: 600 courses decided by the domain, appended interleaved.
      const dataDir = tempDataDir();
      const store = new SqliteEventStore(path.join(dataDir, 'events.sqlite'));
      const stored = Array.from({ length: 600 }, (_, n) =>
        generateCourse(n, {
          clinicId: CLINIC,
          full: n % 5 === 0,
          ending: n % 3 ? 'completed' : 'active',
        }),
      );
      await appendInterleaved(store, stored);
      const head = (await store.headPosition())!.toString();
      await store.close();

      const app = await start(dataDir);
      const clinician = new LedgerClient(app.baseUrl, tokenFor(CLINIC, ['clinician']));
      const admin = clinician.as(tokenFor(CLINIC, ['admin']));
      const projections = async () =>
        (await admin.get('/v1/admin/projections')).body.projections as {
          name: string;
          state: string;
          checkpoint: string | null;
          rebuild: Progress | null;
        }[];
      await waitFor(
        async () => (await projections()).every((p) => p.state === 'live' && p.checkpoint === head),
        60_000,
      );
      expect((await projections()).map((p) => p.rebuild)).toEqual([null, null, null]);

      // Clinicians at work: new courses with sessions, and reads of every course.
      const courseIds = stored.map((c) => c.courseId);
      const seen = new Map<string, number>();
      const failures: string[] = [];
      let reads = 0;
      let busy = true;
      const reader = async (offset: number) => {
        for (let i = offset; busy; i = (i + 7) % courseIds.length) {
          const courseId = courseIds[i];
          const view = await clinician.get(`/v1/courses/${courseId}`);
          reads++;
          if (view.status !== 200) failures.push(`${courseId}: ${view.status}`);
          else if (view.body.revision < (seen.get(courseId) ?? 0))
            failures.push(
              `${courseId}: revision ${view.body.revision} after ${seen.get(courseId)}`,
            );
          else seen.set(courseId, view.body.revision);
          const outcomes = await clinician.get(`/v1/courses/${courseId}/outcomes`);
          if (outcomes.status !== 200) failures.push(`${courseId}/outcomes: ${outcomes.status}`);
        }
      };
      const added: CourseDriver[] = [];
      const writer = async () => {
        while (busy) {
          const course = await CourseDriver.enroll(clinician);
          added.push(course);
          await course.holdSessions(1, 3);
        }
      };
      const load = [reader(0), reader(1), reader(2), writer()];

      const samples: Record<string, Progress[]> = {};
      for (const name of NAMES) {
        const asked = await admin.post(`/v1/admin/projections/${name}/rebuild`, {});
        expect(asked.status).toBe(202);
        expect(asked.body).toMatchObject({ name, rebuild: { eventsDone: expect.any(Number) } });
        expect(['requested', 'preparing', 'replaying']).toContain(asked.body.rebuild.state);
      }
      let metricsDuring = '';
      await waitFor(
        async () => {
          const all = await projections();
          for (const p of all) (samples[p.name] ??= []).push(p.rebuild!);
          if (!metricsDuring && all.some((p) => p.rebuild?.state === 'replaying'))
            metricsDuring = (await admin.get('/metrics')).body as string;
          return all.every((p) => p.rebuild?.state === 'done');
        },
        90_000,
        () => JSON.stringify(samples),
      );
      busy = false;
      await Promise.all(load);

      expect(failures).toEqual([]);
      expect(reads).toBeGreaterThan(0); // all of them while a rebuild was asked for or under way
      expect(added.length).toBeGreaterThan(0);
      for (const name of NAMES) {
        const done = samples[name].map((p) => p.eventsDone);
        expect(done).toEqual([...done].sort((a, b) => a - b));
        const final = samples[name][samples[name].length - 1];
        expect(final.eventsDone).toBeGreaterThanOrEqual(
          stored.reduce((n, c) => n + c.appends.flat().length, 0),
        );
        expect(final).toMatchObject({ eventsTotal: final.eventsDone, secondsLeft: 0 });
        expect(final.eventsPerSecond).toBeGreaterThan(0);
        expect(final.startedAt).not.toBeNull();
        expect(final.finishedAt).not.toBeNull();
      }
      // Progress was visible while replaying, in the route and in /metrics.
      const replaying = Object.values(samples)
        .flat()
        .filter((p) => p.state === 'replaying');
      expect(replaying.length).toBeGreaterThan(0);
      for (const p of replaying) {
        expect(p.eventsTotal).toBeGreaterThanOrEqual(p.eventsDone);
        if (p.eventsDone > 0) expect(p.eventsPerSecond).toBeGreaterThan(0);
      }
      expect(metricsDuring).toMatch(/ipt_projection_rebuilding\{projection="[a-z-]+"\} 1/);
      expect(metricsDuring).toMatch(
        /ipt_projection_rebuild_events_done\{projection="[a-z-]+"\} \d+/,
      );
      expect(metricsDuring).toMatch(
        /ipt_projection_rebuild_events_total\{projection="[a-z-]+"\} \d+/,
      );
      const metricsAfter = (await admin.get('/metrics')).body as string;
      for (const name of NAMES) {
        expect(metricsAfter).toContain(`ipt_projection_rebuilding{projection="${name}"} 0`);
        expect(metricsAfter).toContain(
          `ipt_projection_rebuild_seconds_left{projection="${name}"} 0`,
        );
      }

      // The views now, against an incremental build of the same events.
      for (const course of added) course.revision = (await course.view()).revision; // caught up
      const allIds = [...courseIds, ...added.map((c) => c.courseId)];
      const snapshot = async (client: LedgerClient) => {
        const views = [];
        for (const courseId of allIds) {
          const view = await client.get(`/v1/courses/${courseId}`);
          const outcomes = await client.get(`/v1/courses/${courseId}/outcomes`);
          views.push([view.status, view.body, outcomes.status, outcomes.body]);
        }
        const summary = await client.get(`/v1/clinics/${CLINIC}/summary`);
        return { views, summary: summary.body };
      };
      const rebuilt = await snapshot(clinician.as(tokenFor(CLINIC, ['clinician', 'analyst'])));
      const lastHead = (await projections())[0].checkpoint;
      await app.stop();

      const fresh = tempDataDir();
      // The events, and the embedded key store with its KEK: the course view opens sealed PHI.
      const copied = (f: string) =>
        f.startsWith('events.sqlite') || f.startsWith('keys.sqlite') || f === 'phi-kek';
      for (const file of fs.readdirSync(dataDir).filter(copied))
        fs.copyFileSync(path.join(dataDir, file), path.join(fresh, file));
      const incrementalApp = await start(fresh);
      const incremental = new LedgerClient(
        incrementalApp.baseUrl,
        tokenFor(CLINIC, ['clinician', 'analyst']),
      );
      await waitFor(async () => {
        const all = (await incremental.as(tokenFor(CLINIC, ['admin'])).get('/v1/admin/projections'))
          .body.projections as { state: string; checkpoint: string }[];
        return all.every((p) => p.state === 'live' && p.checkpoint === lastHead);
      }, 60_000);
      expect(await snapshot(incremental)).toEqual(rebuilt);
      expect(rebuilt.views.every(([status]) => status === 200)).toBe(true);
    }, 240_000);
  });
}
