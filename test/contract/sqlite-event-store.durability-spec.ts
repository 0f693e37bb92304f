/**
 * Durability of the embedded store across a killed process: a child appends
 * as fast as it can and prints each acknowledged append; we SIGKILL it in the
 * middle and reopen the file. (A killed process leaves the OS page cache
 * intact, so this proves commit-before-acknowledge and crash consistency, not
 * survival of power loss: that rests on `synchronous=FULL`.)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedEvent, SqliteEventStore } from '@ipt/event-store';

const WRITER = join(__dirname, '..', 'support', 'sqlite-event-store-writer.js');
const STREAMS = 8;
const ACKS_BEFORE_KILL = 400;

interface Ack {
  streamId: string;
  revision: number;
  eventIds: string[];
}

describe('embedded SQLite event store: durability', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ipt-event-store-durability-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps every acknowledged append, and a consistent log, when the writer is killed mid-stream', async () => {
    const file = join(directory, 'events.sqlite');
    const acks = await runWriterUntilKilled(file);
    expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

    const store = new SqliteEventStore(file);
    try {
      const log = await store.readAll();
      const byId = new Map(log.map((e) => [e.eventId, e]));

      for (const ack of acks) {
        const recorded = ack.eventIds.map((id) => byId.get(id));
        expect(recorded.every((e) => e !== undefined && e.streamId === ack.streamId)).toBe(true);
        expect(recorded[recorded.length - 1]!.revision).toBe(ack.revision);
      }

      // The log: positions strictly increasing; every stream's revisions dense from 0.
      for (let i = 1; i < log.length; i++) expect(log[i].position > log[i - 1].position).toBe(true);
      const streams = new Map<string, RecordedEvent[]>();
      for (const event of log)
        streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
      for (const events of streams.values()) {
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        // No append is half-written, including one that was committing when the kill landed.
        expect(lastAppendIsWhole(events)).toBe(true);
      }

      // The reopened store keeps appending where the log left off.
      const stream = acks[0].streamId;
      const head = streams.get(stream)!.length - 1;
      const next = await store.appendToStream(
        stream,
        [{ eventId: randomUUID(), type: 'SessionRecorded', data: {}, metadata: {} }],
        { expectedRevision: head },
      );
      expect(next.nextExpectedRevision).toBe(head + 1);
      expect(next.position > log[log.length - 1].position).toBe(true);
    } finally {
      await store.close();
    }
  });
});

/** Starts the writer, collects its acknowledgements, and SIGKILLs it once enough have arrived. */
function runWriterUntilKilled(file: string): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, String(STREAMS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let pending = '';
    let errors = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, streamId, revision, ids] = line.split(' ');
        if (word !== 'ack') continue;
        acks.push({ streamId, revision: Number(revision), eventIds: ids.split(',') });
        if (acks.length === ACKS_BEFORE_KILL) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`the writer exited on its own (${signal ?? _code}): ${errors}`));
    });
  });
}

/** The writer tags each event with its append's size and its part; the stream's tail must be a whole append. */
function lastAppendIsWhole(events: RecordedEvent[]): boolean {
  const last = events[events.length - 1].data as { part: number; of: number };
  return last.part === last.of - 1;
}
