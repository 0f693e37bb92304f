/**
 * The checkpoint issuer over a real SQLite file: it signs when a tree grew,
 * never while the tree is behind what was signed, and refuses to sign over a
 * tree rebuilt from altered events (reported, not silent).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditSigningKey, verifyCheckpoint, type ChainedEvent } from '@ipt/audit';
import { openSqlite, type RecordedEvent, type SqliteDatabase } from '@ipt/event-store';
import { courseStream } from '../../../audit/src/testing/audit-fixtures';
import {
  CheckpointIssuer,
  SqliteCheckpointLog,
  EMPTY_ACCESS_TREE,
  type AccessTreeHead,
} from './checkpoints';
import { SqliteEventsLedger, EventsTreeProjection } from './events-tree';

function recorded(events: ChainedEvent[], firstPosition: number): RecordedEvent[] {
  return events.map((event, i) => ({
    ...event,
    position: BigInt(firstPosition + i),
    created: new Date(0),
  }));
}

describe('CheckpointIssuer', () => {
  let dir: string;
  let db: SqliteDatabase;
  let projection: EventsTreeProjection;
  const key = AuditSigningKey.generate();
  const errors: string[] = [];
  const logger = { log: () => {}, warn: () => {}, error: (m: string) => errors.push(m) };

  const issuer = (access: AccessTreeHead = EMPTY_ACCESS_TREE) =>
    new CheckpointIssuer({
      tree: new SqliteEventsLedger(db).tree,
      access,
      log: new SqliteCheckpointLog(db),
      key,
      origin: 'ledger.test',
      intervalMs: 60_000,
      logger,
    });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-ckpt-'));
    db = openSqlite(path.join(dir, 'ledger.sqlite'));
    projection = new EventsTreeProjection();
    projection.migrate(db);
    errors.length = 0;
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('signs a checkpoint when a tree grew, and none when nothing grew', async () => {
    const log = new SqliteCheckpointLog(db);
    const signer = issuer();
    await signer.tick();
    expect(await log.latest()).toBeUndefined(); // an empty ledger has nothing to sign

    projection.apply(db, recorded(courseStream('a1', 3), 1));
    await signer.tick();
    await signer.tick();
    const first = (await log.latest())!;
    expect(first.sequence).toBe(1);
    expect(first.checkpoint.events.size).toBe(3);
    expect(first.checkpoint.access).toEqual(await EMPTY_ACCESS_TREE.head());
    expect(verifyCheckpoint(first, key.publicKey.jwk)).toBe(true);

    // The access tree growing alone is growth too.
    let access = { size: 1, root: 'ab'.repeat(32) };
    await issuer({ head: () => Promise.resolve(access) }).tick();
    expect(await log.latest()).toMatchObject({
      sequence: 2,
      checkpoint: { access, events: { size: 3 } },
    });
    access = { size: 1, root: access.root };
    await issuer({ head: () => Promise.resolve(access) }).tick();
    expect((await log.latest())!.sequence).toBe(2);
  });

  it('refuses to sign over a tree rebuilt from altered events, and reports where it fails', async () => {
    const stream = courseStream('b2', 4);
    projection.apply(db, recorded(stream, 1));
    const log = new SqliteCheckpointLog(db);
    await issuer().tick();
    expect((await log.latest())!.checkpoint.events.size).toBe(4);

    // An operator rewrites an event, re-chains it and rebuilds the tree from the altered log.
    const altered = stream.map((e) => ({ ...e, metadata: { ...e.metadata } }));
    altered[2].metadata.hash = 'f'.repeat(64);
    projection.reset(db);
    projection.apply(db, recorded([...altered, ...courseStream('c3', 2)], 1));

    const restarted = issuer();
    await restarted.tick();
    expect(restarted.status()).toMatchObject({
      state: 'inconsistent',
      brokenAt: { sequence: 1, size: 4 },
    });
    expect((await log.latest())!.sequence).toBe(1);
    expect(errors.join('\n')).toMatch(/stored checkpoint 1 \(size 4\)/);
  });

  it('does not sign while the tree is behind the latest checkpoint (a rebuild catching up)', async () => {
    const stream = courseStream('d4', 5);
    projection.apply(db, recorded(stream, 1));
    const log = new SqliteCheckpointLog(db);
    await issuer().tick();
    projection.reset(db);
    projection.apply(db, recorded(stream.slice(0, 2), 1));
    const rebuilding = issuer();
    await rebuilding.tick();
    expect((await log.latest())!.sequence).toBe(1);
    projection.apply(db, recorded([...stream.slice(2), ...courseStream('e5', 1)], 3));
    await rebuilding.tick();
    expect(rebuilding.status().state).not.toBe('inconsistent');
    expect(await log.latest()).toMatchObject({ sequence: 2, checkpoint: { events: { size: 6 } } });
  });
});
