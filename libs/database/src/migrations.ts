/**
 * The shared database's schema, as versioned migrations run at start by umzug.
 * Every process runs them (API instances, projector, relay): an advisory lock
 * lets one apply them while the others wait, then find nothing left to do.
 * A migration is never edited once released; a change is a new one.
 */
import type { Pool, PoolClient } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';

/** Advisory lock key of the migrations (any constant no other lock of ours uses). */
export const MIGRATION_LOCK = 7_401_100;

interface Migration {
  name: string;
  up(client: PoolClient): Promise<void>;
}

const sql =
  (...statements: string[]) =>
  async (client: PoolClient) => {
    for (const statement of statements) await client.query(statement);
  };

export const MIGRATIONS: Migration[] = [
  {
    name: '0001-read-models',
    // The tables of libs/projections read-models.ts (one row per course, the fold state last)
    // and the projections' checkpoints (a position is an unsigned 64-bit number: kept as text).
    // Keys compare byte by byte ("C"), as SQLite's BINARY does: lists and cursors agree on both.
    up: sql(
      `CREATE TABLE projection_checkpoints (
         name TEXT PRIMARY KEY,
         position TEXT NOT NULL,
         updated_at TIMESTAMPTZ NOT NULL
       )`,
      `CREATE TABLE course_completion (
         course_id TEXT COLLATE "C" PRIMARY KEY,
         clinic_id TEXT COLLATE "C" NOT NULL,
         revision BIGINT NOT NULL,
         therapist_id TEXT COLLATE "C",
         status TEXT COLLATE "C",
         enrolled_at TEXT COLLATE "C",
         last_contact_ms BIGINT,
         patient_missed_since_last_session BIGINT,
         risk_missed_sessions BIGINT,
         risk_homework_not_done BIGINT,
         risk_deteriorating BIGINT,
         at_risk_standing BIGINT,
         view TEXT,
         state TEXT NOT NULL
       )`,
      `CREATE INDEX course_completion_by_clinic
         ON course_completion (clinic_id, enrolled_at DESC, course_id DESC)`,
      `CREATE INDEX course_completion_by_last_contact
         ON course_completion (clinic_id, status, last_contact_ms, enrolled_at, course_id)`,
      `CREATE INDEX course_completion_by_standing_risk
         ON course_completion (clinic_id, status, at_risk_standing, last_contact_ms, enrolled_at, course_id)`,
      `CREATE TABLE course_outcomes (
         course_id TEXT COLLATE "C" PRIMARY KEY,
         clinic_id TEXT COLLATE "C" NOT NULL,
         revision BIGINT NOT NULL,
         view TEXT,
         state TEXT NOT NULL
       )`,
      `CREATE TABLE clinic_summary_courses (
         course_id TEXT COLLATE "C" PRIMARY KEY,
         clinic_id TEXT COLLATE "C" NOT NULL,
         revision BIGINT NOT NULL,
         contribution TEXT,
         state TEXT NOT NULL
       )`,
      `CREATE INDEX clinic_summary_by_clinic ON clinic_summary_courses (clinic_id)`,
    ),
  },
  {
    name: '0002-idempotency-keys',
    up: sql(
      `CREATE TABLE idempotency_keys (
         clinic_id TEXT COLLATE "C" NOT NULL,
         key TEXT NOT NULL,
         answer TEXT NOT NULL,
         recorded_at TIMESTAMPTZ NOT NULL,
         PRIMARY KEY (clinic_id, key)
       )`,
    ),
  },
  {
    name: '0003-projection-rebuilds',
    // Rebuilds without an outage (libs/projections rebuild/): the events each current copy holds
    // (null: written before they were counted), and the rebuild requests with their progress,
    // at most one open per projection. Times are ISO 8601 texts, as the API answers them.
    up: sql(
      'ALTER TABLE projection_checkpoints ADD COLUMN events BIGINT',
      `CREATE TABLE projection_rebuilds (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         name TEXT NOT NULL,
         state TEXT NOT NULL,
         requested_at TEXT NOT NULL,
         started_at TEXT,
         finished_at TEXT,
         events_done BIGINT NOT NULL DEFAULT 0,
         events_total BIGINT,
         events_per_second DOUBLE PRECISION,
         seconds_left DOUBLE PRECISION,
         error TEXT
       )`,
      `CREATE UNIQUE INDEX projection_rebuilds_open ON projection_rebuilds (name)
         WHERE state IN ('requested', 'preparing', 'replaying', 'switching')`,
      'CREATE INDEX projection_rebuilds_by_name ON projection_rebuilds (name, id)',
    ),
  },
  {
    name: '0004-key-store',
    // libs/privacy's key store (privacy.md): a data key per course wrapped by the KEK, the
    // tombstones that outlive them, and how far the erasure fence has read the log.
    up: sql(
      `CREATE TABLE data_keys (
         course_id TEXT COLLATE "C" PRIMARY KEY,
         key_id TEXT NOT NULL UNIQUE,
         kek_id TEXT NOT NULL,
         wrapped BYTEA NOT NULL,
         created_at TIMESTAMPTZ NOT NULL
       )`,
      `CREATE TABLE erased_keys (
         course_id TEXT COLLATE "C" PRIMARY KEY,
         key_id TEXT NOT NULL,
         erased_at TEXT NOT NULL
       )`,
      `CREATE TABLE key_fence (
         name TEXT PRIMARY KEY,
         position TEXT NOT NULL
       )`,
    ),
  },
  {
    name: '0005-audit',
    // The audit state (audit.md): the Merkle trees' nodes and sizes (the `access` and `events`
    // trees, libs/audit postgres-merkle-node-store.ts), the access log, the events tree's leaf
    // per event and the signed checkpoints. Append-only where audit.md says so, enforced here
    // by triggers: access records and access-tree nodes are never changed or deleted, no node
    // is ever changed, the access tree never shrinks, a checkpoint only ever gets published.
    up: sql(
      `CREATE TABLE audit_merkle_trees (
         tree TEXT PRIMARY KEY,
         size BIGINT NOT NULL
       )`,
      // The rows appenders lock (SELECT … FOR UPDATE): seeded so the first append finds them.
      `INSERT INTO audit_merkle_trees (tree, size) VALUES ('access', 0), ('events', 0)`,
      `CREATE TABLE audit_merkle_nodes (
         tree TEXT NOT NULL,
         level INTEGER NOT NULL,
         idx BIGINT NOT NULL,
         hash BYTEA NOT NULL,
         PRIMARY KEY (tree, level, idx)
       )`,
      `CREATE TABLE access_records (
         leaf_index BIGINT PRIMARY KEY,
         record_id TEXT NOT NULL UNIQUE,
         at TEXT COLLATE "C" NOT NULL,
         actor_id TEXT COLLATE "C" NOT NULL,
         actor_role TEXT NOT NULL,
         clinic_id TEXT COLLATE "C" NOT NULL,
         method TEXT NOT NULL,
         route TEXT NOT NULL,
         course_id TEXT COLLATE "C",
         status INTEGER NOT NULL,
         request_id TEXT NOT NULL,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL
       )`,
      'CREATE INDEX access_records_by_clinic ON access_records (clinic_id, leaf_index)',
      `CREATE INDEX access_records_by_course ON access_records (clinic_id, course_id, leaf_index)`,
      `CREATE INDEX access_records_by_actor ON access_records (clinic_id, actor_id, leaf_index)`,
      `CREATE TABLE audit_event_leaves (
         event_id TEXT PRIMARY KEY,
         stream_id TEXT COLLATE "C" NOT NULL,
         revision BIGINT NOT NULL,
         leaf_index BIGINT NOT NULL UNIQUE
       )`,
      'CREATE INDEX audit_event_leaves_stream ON audit_event_leaves (stream_id, revision)',
      `CREATE TABLE audit_checkpoints (
         seq BIGINT PRIMARY KEY,
         events_size BIGINT NOT NULL,
         access_size BIGINT NOT NULL,
         issued_at TEXT NOT NULL,
         signed TEXT NOT NULL,
         published BOOLEAN NOT NULL DEFAULT false
       )`,
      // The public keys that signed checkpoints, so that API instances (which hold no private
      // key) answer with the signer's key.
      `CREATE TABLE audit_signing_keys (
         key_id TEXT PRIMARY KEY,
         jwk TEXT NOT NULL,
         pem TEXT NOT NULL,
         registered_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
      `CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
       END $$`,
      `CREATE TRIGGER access_records_append_only BEFORE UPDATE OR DELETE ON access_records
         FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
      `CREATE TRIGGER access_records_no_truncate BEFORE TRUNCATE ON access_records
         FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
      `CREATE TRIGGER audit_merkle_nodes_no_update BEFORE UPDATE ON audit_merkle_nodes
         FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
      // The events tree may be rebuilt by hand (a rebuild from altered events then fails the
      // check against the stored checkpoints); the access tree never.
      `CREATE TRIGGER access_tree_nodes_no_delete BEFORE DELETE ON audit_merkle_nodes
         FOR EACH ROW WHEN (OLD.tree = 'access') EXECUTE FUNCTION audit_append_only()`,
      `CREATE TRIGGER audit_merkle_nodes_no_truncate BEFORE TRUNCATE ON audit_merkle_nodes
         FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
      `CREATE FUNCTION audit_tree_grows() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' OR NEW.size < OLD.size OR NEW.tree <> OLD.tree THEN
           RAISE EXCEPTION 'the % tree only grows', OLD.tree USING ERRCODE = 'insufficient_privilege';
         END IF;
         RETURN NEW;
       END $$`,
      `CREATE TRIGGER access_tree_never_shrinks BEFORE UPDATE OR DELETE ON audit_merkle_trees
         FOR EACH ROW WHEN (OLD.tree = 'access') EXECUTE FUNCTION audit_tree_grows()`,
      `CREATE TRIGGER audit_checkpoints_append_only BEFORE DELETE ON audit_checkpoints
         FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
      `CREATE TRIGGER audit_checkpoints_only_published BEFORE UPDATE ON audit_checkpoints
         FOR EACH ROW WHEN (OLD.seq <> NEW.seq OR OLD.events_size <> NEW.events_size
           OR OLD.access_size <> NEW.access_size OR OLD.issued_at <> NEW.issued_at
           OR OLD.signed <> NEW.signed OR (OLD.published AND NOT NEW.published))
         EXECUTE FUNCTION audit_append_only()`,
      `CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
         FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
    ),
  },
];

/** Which migrations ran, in a table of the database itself. */
function tableStorage(): UmzugStorage<PoolClient> {
  return {
    async executed({ context }) {
      await context.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name TEXT PRIMARY KEY,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const { rows } = await context.query<{ name: string }>(
        'SELECT name FROM schema_migrations ORDER BY name',
      );
      return rows.map((r) => r.name);
    },
    async logMigration({ name, context }) {
      await context.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
    },
    async unlogMigration({ name, context }) {
      await context.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
    },
  };
}

/**
 * Applies the pending migrations, each with its record in one transaction,
 * under the migration lock. Returns the names it applied.
 */
export async function migrateDatabase(pool: Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const umzug = new Umzug<PoolClient>({
      context: client,
      storage: tableStorage(),
      logger: undefined,
      migrations: MIGRATIONS.map((m) => ({
        name: m.name,
        // The migration and its record commit together: umzug logs it right after `up`,
        // inside the transaction opened here and closed by the `migrated` hook below.
        up: async ({ context }) => {
          await context.query('BEGIN');
          await m.up(context);
        },
      })),
    });
    const applied: string[] = [];
    for (const pending of await umzug.pending()) {
      try {
        await umzug.up({ migrations: [pending.name] });
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      applied.push(pending.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
