/**
 * The ledger log of one deployment, put together for the process that builds
 * it (the API in the embedded mode, the projector otherwise): the events-tree
 * projection, the checkpoint log, and the one checkpoint issuer. Any other
 * process opens only the read side (`ledgerReadSide`). Where it is kept:
 * PostgreSQL with DATABASE_URL (a shared pool), else the read-model file.
 */
import type { Pool } from 'pg';
import { AuditSigningKey } from '@ipt/audit';
import type { EventStore, SqliteDatabase } from '@ipt/event-store';
import { ProjectionRunner, type RunnerLogger } from '../projection-runner';
import { sqliteProjectionTarget, type ProjectionTarget } from '../projection-target';
import { PostgresEventsLedger, postgresEventsTreeTarget } from '../postgres/ledger.postgres';
import {
  CheckpointIssuer,
  PostgresCheckpointLog,
  SqliteCheckpointLog,
  type AccessTreeHead,
  type CheckpointLog,
} from './checkpoints';
import { CheckpointTopic } from './checkpoint-topic';
import { EventsTreeProjection, SqliteEventsLedger, type EventsLedger } from './events-tree';

export interface AuditLedgerConfig {
  dataDir: string;
  auditSigningKey?: string;
  auditOrigin: string;
  checkpointIntervalMs: number;
  kafkaBrokers?: string[];
  kafkaClientId: string;
}

/** What every process reads of the ledger log. */
export interface LedgerReadSide {
  events: EventsLedger;
  checkpoints: CheckpointLog;
}

/** The builder's storage: where the events-tree projection writes, beside the read side. */
export interface LedgerStorage extends LedgerReadSide {
  target: ProjectionTarget;
}

/** The read side: PostgreSQL given a shared pool (DATABASE_URL), else the read-model file. */
export function ledgerReadSide(db: SqliteDatabase, shared?: Pool | null): LedgerReadSide {
  return shared
    ? { events: new PostgresEventsLedger(shared), checkpoints: new PostgresCheckpointLog(shared) }
    : { events: new SqliteEventsLedger(db), checkpoints: new SqliteCheckpointLog(db) };
}

/** The builder's storage, in the same database as ledgerReadSide chooses. */
export function ledgerStorage(db: SqliteDatabase, shared?: Pool | null): LedgerStorage {
  const target = shared
    ? postgresEventsTreeTarget(shared)
    : sqliteProjectionTarget(db, new EventsTreeProjection());
  return { target, ...ledgerReadSide(db, shared) };
}

export class AuditLedger {
  readonly runner: ProjectionRunner;
  readonly issuer: CheckpointIssuer;
  private readonly topic?: CheckpointTopic;

  constructor(
    store: EventStore,
    storage: LedgerStorage,
    config: AuditLedgerConfig,
    access: AccessTreeHead,
    logger: RunnerLogger & { error(message: string): void },
  ) {
    this.runner = new ProjectionRunner(store, storage.target, logger);
    const key = AuditSigningKey.loadOrCreate({
      dataDir: config.dataDir,
      pem: config.auditSigningKey,
    });
    const topic = config.kafkaBrokers
      ? new CheckpointTopic({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId })
      : undefined;
    this.topic = topic;
    this.issuer = new CheckpointIssuer({
      tree: storage.events.tree,
      access,
      log: storage.checkpoints,
      key,
      origin: config.auditOrigin,
      intervalMs: config.checkpointIntervalMs,
      publish: topic && ((checkpoint) => topic.publish(checkpoint)),
      logger,
    });
  }

  start(): void {
    this.runner.start();
    this.issuer.start();
  }

  /** Stops building and signing, to start again later (a process that lost the projector lock). */
  async pause(): Promise<void> {
    await this.runner.stop();
    await this.issuer.stop();
  }

  async stop(): Promise<void> {
    await this.pause();
    await this.topic?.close();
  }
}
