/**
 * The cost of PHI encryption (issue 10), as process CPU time over many runs:
 *  - on commands: sealing an event's `phi` (AES-256-GCM, canonical JSON) and
 *    the keyed idempotency digest (HMAC) against the plain SHA-256 it
 *    replaces, with the course key cached (the usual case) and from the key
 *    store (a course not seen for 30 s: one SQLite read and an unwrap);
 *  - on reads: opening a course's history (11 events, 6 with `phi`) with the key
 *    cached and from the key store, and a projection batch of 500 events of 50
 *    courses (openMany).
 *
 *   node -r ./test/support/kafka-ts-register.js bench/privacy.bench.ts
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PhiVault, SqliteKeyStore, kekFrom, type LiveKey } from '@ipt/privacy';

const N = Number(process.env.BENCH_N ?? 20_000);

function cpuMicros(n: number, work: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 1000); i++) work(i); // warm up
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

async function cpuMicrosAsync(n: number, work: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < Math.min(n, 200); i++) await work(i);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const enrollPhi = {
  patientRef: 'MRN-0042-7731',
  overrideReason: 'psychosis ruled out in May 2025',
};
const homeworkPhi = { description: 'Write down the argument with your sister. '.repeat(4) };
const request = JSON.stringify({
  type: 'AssignHomework',
  data: { courseId: randomUUID(), homeworkId: 'hw-1', sessionNumber: 1, ...homeworkPhi },
});

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-privacy-bench-'));
  const vault = new PhiVault(SqliteKeyStore.inDataDir(dir, [kekFrom(randomBytes(32))]));
  const courses = Array.from({ length: 2000 }, () => randomUUID());
  const keys: LiveKey[] = [];
  for (const c of courses) keys.push(await vault.keys.ensure(c));
  const streamId = (i: number) => `course-${courses[i % courses.length]}`;
  const rows: [string, string][] = [];

  // Commands.
  rows.push([
    'seal enrollment phi (patientRef + override reason)',
    cpuMicros(N, (i) => {
      vault.seal(streamId(i), keys[i % keys.length], [
        { eventId: randomUUID(), data: { phi: enrollPhi } },
      ]);
    }).toFixed(1),
  ]);
  rows.push([
    'seal homework phi (170-character description)',
    cpuMicros(N, (i) => {
      vault.seal(streamId(i), keys[i % keys.length], [
        { eventId: randomUUID(), data: { phi: homeworkPhi } },
      ]);
    }).toFixed(1),
  ]);
  rows.push([
    'keyed request digest (HMAC-SHA256, digest key cached with the course key)',
    cpuMicros(N, (i) => {
      vault.digest(keys[i % keys.length], request);
    }).toFixed(1),
  ]);
  rows.push([
    'plain SHA-256 digest it replaces',
    cpuMicros(N, () => {
      createHash('sha256').update(request).digest('hex');
    }).toFixed(1),
  ]);
  rows.push([
    'course key from the key store (SQLite read + unwrap)',
    (
      await cpuMicrosAsync(N / 4, async (i) => {
        await vault.keys.get(courses[i % courses.length]);
      })
    ).toFixed(1),
  ]);

  // Reads: a course history of 11 events, 6 of them with phi.
  const historyOf = (c: number) => {
    const key = keys[c];
    const sid = `course-${courses[c]}`;
    const drafts = Array.from({ length: 11 }, (_, r) => ({
      eventId: randomUUID(),
      data: r % 2 === 0 ? { phi: r === 0 ? enrollPhi : homeworkPhi } : { n: r },
    }));
    return vault.seal(sid, key, drafts).map((e, revision) => ({ ...e, streamId: sid, revision }));
  };
  const histories = courses.slice(0, 200).map((_, c) => historyOf(c));
  rows.push([
    'open a history of 11 events (6 phi), key cached',
    (
      await cpuMicrosAsync(N / 4, async (i) => {
        await vault.open(courses[i % 200], histories[i % 200]);
      })
    ).toFixed(1),
  ]);
  // A vault that remembers one course: cycling over 200, every key comes from the store.
  const cold = new PhiVault(vault.keys, 1);
  rows.push([
    'open a history of 11 events (6 phi), key from the key store',
    (
      await cpuMicrosAsync(N / 4, async (i) => {
        await cold.open(courses[i % 200], histories[i % 200]);
      })
    ).toFixed(1),
  ]);
  const batch = Array.from({ length: 500 }, (_, i) => histories[i % 50][i % 11]);
  const perBatch = await cpuMicrosAsync(200, async () => {
    await cold.openMany((e) => e.streamId.slice('course-'.length), batch);
  });
  rows.push([
    'projection batch of 500 events of 50 courses, keys from the store',
    perBatch.toFixed(0),
  ]);
  rows.push(['  the same, per event', (perBatch / 500).toFixed(1)]);

  await vault.keys.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  process.stdout.write(
    `Node ${process.version}, ${os.cpus().length} cores, load average ${load}, N=${N}\n\n` +
      '| what | CPU µs |\n|---|---|\n' +
      rows.map(([what, us]) => `| ${what} | ${us} |`).join('\n') +
      '\n',
  );
}

void main();
