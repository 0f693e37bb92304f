/**
 * The ledger log's `events` tree in PostgreSQL (DATABASE_URL): the projection
 * target the active projector writes (leaves by event id, tree nodes and its
 * checkpoint in one transaction) and the read side every API instance reads.
 * The tables are @ipt/database's migration 0005-audit; the checkpoints'
 * adapter is PostgresCheckpointLog (ledger/checkpoints.ts).
 *
 * A commit fences as the read models' do: it moves the checkpoint only from
 * the position this process last read or wrote, so a projector that lost its
 * lock to a standby never appends a batch twice; and appends lock the tree's
 * row, so two writers could not extend the same size anyway.
 */
import type { Pool } from 'pg';
import { MerkleTreeReader, PostgresMerkleNodeStore } from '@ipt/audit';
import { inTransaction, whileAvailable } from '@ipt/database';
import type { RecordedEvent } from '@ipt/event-store';
import {
  EVENTS_TREE,
  EVENTS_TREE_PROJECTION,
  eventLeafData,
  type EventLeaf,
  type EventsLedger,
} from '../ledger/events-tree';
import type { AccessTreeHead } from '../ledger/checkpoints';
import type { ProjectionTarget } from '../projection-target';
import { FencedCheckpoint } from './fenced-checkpoint';

/** The access log's tree (apps/api access-log.postgres.ts appends to it). */
export const ACCESS_TREE = 'access';

export function postgresEventsTreeTarget(pool: Pool): ProjectionTarget {
  const nodes = new PostgresMerkleNodeStore(pool, EVENTS_TREE);
  const name = EVENTS_TREE_PROJECTION;
  const checkpoint = new FencedCheckpoint(pool, name);

  return {
    name,
    checkpoint: () => checkpoint.read(),
    async commit(events: RecordedEvent[], position: bigint) {
      const from = await checkpoint.expectedNow();
      await inTransaction(pool, async (client) => {
        // The fence first: a fenced commit stops before it touches the tree.
        await checkpoint.move(client, from, position, events.length);
        if (events.length === 0) return;
        const first = await nodes.append(client, events.map(eventLeafData));
        await client.query(
          `INSERT INTO audit_event_leaves (event_id, stream_id, revision, leaf_index)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`,
          [
            events.map((e) => e.eventId),
            events.map((e) => e.streamId),
            events.map((e) => e.revision),
            events.map((_, i) => first + i),
          ],
        );
      });
      checkpoint.committed(position);
    },
    async reset() {
      // By hand only (the tree is not a read model): a rebuild from altered events then
      // fails the check against the stored checkpoints, which this leaves alone.
      await inTransaction(pool, async (client) => {
        await client.query("DELETE FROM audit_merkle_nodes WHERE tree = 'events'");
        await client.query("UPDATE audit_merkle_trees SET size = 0 WHERE tree = 'events'");
        await client.query('DELETE FROM audit_event_leaves');
        await client.query('DELETE FROM projection_checkpoints WHERE name = $1', [name]);
      });
      checkpoint.cleared();
    },
    discardUncommitted() {
      checkpoint.forget();
    },
  };
}

export class PostgresEventsLedger implements EventsLedger {
  readonly tree: MerkleTreeReader;

  constructor(private readonly pool: Pool) {
    this.tree = new MerkleTreeReader(new PostgresMerkleNodeStore(pool, EVENTS_TREE));
  }

  leavesOf(streamId: string): Promise<EventLeaf[]> {
    return whileAvailable(async () => {
      const { rows } = await this.pool.query<EventLeaf>(
        `SELECT revision, leaf_index AS "leafIndex" FROM audit_event_leaves
          WHERE stream_id = $1 ORDER BY revision`,
        [streamId],
      );
      return rows.map((row) => ({
        revision: Number(row.revision),
        leafIndex: Number(row.leafIndex),
      }));
    });
  }

  streams(): Promise<string[]> {
    return whileAvailable(async () => {
      const { rows } = await this.pool.query<{ stream_id: string }>(
        'SELECT DISTINCT stream_id FROM audit_event_leaves ORDER BY stream_id',
      );
      return rows.map((row) => row.stream_id);
    });
  }
}

/**
 * The `access` tree's head as the access log in PostgreSQL keeps it (every
 * API instance appends there): what the projector's signer signs beside the
 * events tree. Read-only; the access log itself is the API's.
 */
export function postgresAccessTreeHead(pool: Pool): AccessTreeHead {
  const tree = new MerkleTreeReader(new PostgresMerkleNodeStore(pool, ACCESS_TREE));
  return {
    async head() {
      const size = await tree.size();
      return { size, root: (await tree.root(size)).toString('hex') };
    },
  };
}
