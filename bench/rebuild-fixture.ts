/**
 * An embedded event store of about N course events for the rebuild benchmark,
 * decided by the real domain (test/support/kafka-courses.ts) and appended
 * through the store's own append path, the way a clinic fills it: a few
 * thousand courses are under way at any time, each command goes to a random
 * one of them, and a finished course makes room for a newly enrolled one.
 * Made once and kept under .tmp/ (a 1 M event store takes a minute to fill).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqliteEventStore } from '@ipt/event-store';
import { generateCourse, type GeneratedCourse } from '../test/support/kafka-courses';

const ROOT = path.join(__dirname, '..', '.tmp', 'bench-rebuild');

/** Courses under way at once: the working set a rebuild meets. */
const ACTIVE_COURSES = 3000;
/** Commands appended together (the store commits them in one transaction). */
const CONCURRENCY = 256;

export interface RebuildFixture {
  /** The store file; copy it before writing to it. */
  file: string;
  events: number;
  courses: number;
}

/** A seeded generator, so every run fills the same mix of courses (ids are random UUIDs). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function rebuildFixture(
  wanted: number,
  log: (line: string) => void = () => undefined,
): Promise<RebuildFixture> {
  const file = path.join(ROOT, `events-${wanted}.sqlite`);
  const meta = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(meta)) {
    return { file, ...(JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<RebuildFixture, 'file'>) };
  }
  fs.mkdirSync(ROOT, { recursive: true });
  for (const leftover of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(leftover, { force: true });
  const next = random(11);
  const store = new SqliteEventStore(file);
  let generated = 0;
  let appended = 0;
  let courses = 0;
  const newCourse = (): { course: GeneratedCourse; step: number } | undefined => {
    if (generated >= wanted) return undefined;
    const n = courses++;
    const course = generateCourse(n, {
      clinicId: `clinic-${n % 12}`,
      full: next() < 0.2,
      ending: next() < 0.7 ? 'completed' : next() < 0.6 ? 'withdrawn' : 'active',
      sessions: 6 + Math.floor(next() * 7),
      enrolledAt: new Date(Date.UTC(2024, 0, 1) + n * 3_600_000),
    });
    for (const a of course.appends) generated += a.length;
    return { course, step: 0 };
  };
  const active: { course: GeneratedCourse; step: number }[] = [];
  for (let i = 0; i < ACTIVE_COURSES; i++) {
    const c = newCourse();
    if (c) active.push(c);
  }
  const started = Date.now();
  let lastSaid = started;
  while (active.length > 0) {
    // Distinct courses per round: each course's commands stay in order.
    const round = new Set<number>();
    const want = Math.min(CONCURRENCY, active.length);
    while (round.size < want) round.add(Math.floor(next() * active.length));
    await Promise.all(
      [...round].map(async (i) => {
        const entry = active[i];
        const events = entry.course.appends[entry.step];
        await store.appendToStream(entry.course.streamId, events, {
          expectedRevision: entry.step === 0 ? 'no_stream' : 'any',
        });
        entry.step++;
        appended += events.length;
      }),
    );
    for (const i of [...round].sort((a, b) => b - a)) {
      if (active[i].step < active[i].course.appends.length) continue;
      const replacement = newCourse();
      if (replacement) active[i] = replacement;
      else active.splice(i, 1);
    }
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      log(`  filling the store: ${appended.toLocaleString('en')} events`);
    }
  }
  await store.close();
  const result = { events: appended, courses };
  fs.writeFileSync(meta, JSON.stringify(result));
  log(
    `  filled ${file}: ${appended.toLocaleString('en')} events of ${courses.toLocaleString('en')} courses in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return { file, ...result };
}
