/**
 * The audit Merkle tree at a million leaves: build rate (SQLite in batches as
 * a projection catching up appends, SQLite one leaf per transaction as the
 * write path may, memory), proof times at that size, and the file's size.
 *
 *   npm run bench:audit-tree            (AUDIT_TREE_LEAVES=200000 for a shorter run)
 *
 * CPU time is reported beside wall time: the machine is shared, and CPU time
 * does not depend on what else runs.
 */
import { createHash, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSqlite } from '@ipt/event-store';
import {
  IncrementalMerkleTree,
  InMemoryMerkleNodeStore,
  SqliteMerkleNodeStore,
  leafHash,
  verifyConsistency,
  verifyInclusion,
} from '@ipt/audit';

const LEAVES = Number(process.env.AUDIT_TREE_LEAVES ?? 1_000_000);
const BATCH = 1_000;
const SINGLE_APPENDS = 10_000;
const PROOFS = 1_000;

const leafData = (i: number): Buffer => createHash('sha256').update(`event ${i}`).digest();

function measure<T>(work: () => T): { result: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = work();
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { result, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const rate = (count: number, ms: number): string =>
  Math.round((count / ms) * 1000).toLocaleString('en');
const perOp = (ms: number, count: number): string => `${((ms / count) * 1000).toFixed(1)} µs`;

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-audit-bench-'));
const file = path.join(directory, 'audit.sqlite');
try {
  const db = openSqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const tree = new IncrementalMerkleTree(new SqliteMerkleNodeStore(db, 'events'));

  const built = measure(() => {
    for (let start = 0; start < LEAVES; start += BATCH) {
      const batch: Buffer[] = [];
      for (let i = start; i < Math.min(start + BATCH, LEAVES); i++) batch.push(leafData(i));
      tree.appendAll(batch);
    }
  });
  console.log(
    `SQLite, batches of ${BATCH}: ${LEAVES.toLocaleString('en')} leaves in ${(built.wallMs / 1000).toFixed(1)} s ` +
      `(${rate(LEAVES, built.wallMs)} leaves/s wall, ${rate(LEAVES, built.cpuMs)} leaves/s CPU)`,
  );

  const single = measure(() => {
    for (let i = 0; i < SINGLE_APPENDS; i++) tree.append(leafData(LEAVES + i));
  });
  console.log(
    `SQLite, one leaf per transaction at ${LEAVES.toLocaleString('en')}: ${perOp(single.wallMs, SINGLE_APPENDS)} wall, ` +
      `${perOp(single.cpuMs, SINGLE_APPENDS)} CPU per leaf`,
  );

  const size = tree.size;
  const root = tree.root();
  const inclusion = measure(() => {
    let ok = 0;
    for (let i = 0; i < PROOFS; i++) {
      const index = randomInt(size);
      const proof = tree.inclusionProof(index);
      if (verifyInclusion(leafHash(leafData(index)), index, size, proof, root)) ok++;
    }
    return ok;
  });
  const older = measure(() => {
    let ok = 0;
    for (let i = 0; i < PROOFS; i++) {
      const at = 1 + randomInt(size - 1);
      const index = randomInt(at);
      const proof = tree.inclusionProof(index, at);
      if (verifyInclusion(leafHash(leafData(index)), index, at, proof, tree.root(at))) ok++;
    }
    return ok;
  });
  const consistency = measure(() => {
    let ok = 0;
    for (let i = 0; i < PROOFS; i++) {
      const first = 1 + randomInt(size - 1);
      const proof = tree.consistencyProof(first, size);
      if (verifyConsistency(first, size, tree.root(first), root, proof)) ok++;
    }
    return ok;
  });
  if (inclusion.result + older.result + consistency.result !== 3 * PROOFS) {
    throw new Error('a proof did not verify');
  }
  const both = (m: { wallMs: number; cpuMs: number }): string =>
    `${perOp(m.wallMs, PROOFS)} wall / ${perOp(m.cpuMs, PROOFS)} CPU`;
  console.log(`proofs at ${size.toLocaleString('en')} leaves (generate + verify, SQLite):`);
  console.log(`  inclusion: ${both(inclusion)}`);
  console.log(`  inclusion at an older size, with that size's root: ${both(older)}`);
  console.log(`  consistency from an older size, with its root: ${both(consistency)}`);
  const rootAtLeaves = tree.root(LEAVES);
  db.close();

  const reopened = measure(() => {
    const again = openSqlite(file);
    const size = new IncrementalMerkleTree(new SqliteMerkleNodeStore(again, 'events')).size;
    again.close();
    return size;
  });
  console.log(
    `reopen (read the frontier): ${reopened.wallMs.toFixed(1)} ms for ${reopened.result.toLocaleString('en')} leaves`,
  );
  const bytes =
    fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
  console.log(
    `SQLite file: ${(bytes / 2 ** 20).toFixed(0)} MiB (${(bytes / size).toFixed(0)} bytes per leaf)`,
  );

  const memory = measure(() => {
    const inMemory = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
    for (let i = 0; i < LEAVES; i++) inMemory.append(leafData(i));
    return inMemory.root();
  });
  if (!memory.result.equals(rootAtLeaves)) throw new Error('memory and SQLite trees differ');
  console.log(
    `memory, one by one: ${rate(LEAVES, memory.wallMs)} leaves/s wall, ${rate(LEAVES, memory.cpuMs)} leaves/s CPU ` +
      '(includes hashing the leaf data itself)',
  );
} finally {
  fs.rmSync(directory, { recursive: true, force: true });
}
