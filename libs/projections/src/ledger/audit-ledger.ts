/**
 * The ledger log of one deployment, put together for the process that builds
 * it (the API in the embedded mode, the projector otherwise): the events-tree
 * projection, the checkpoint log, and the one checkpoint issuer. Any other
 * process opens only the read side (`EventsLedger`, `CheckpointLog`).
 */
import { AuditSigningKey } from '@ipt/audit';
import type { EventStore, SqliteDatabase } from '@ipt/event-store';
import { ProjectionRunner, type RunnerLogger } from '../projection-runner';
import { sqliteProjectionTarget } from '../projection-target';
import { CheckpointIssuer, CheckpointLog, type AccessTreeHead } from './checkpoints';
import { CheckpointTopic } from './checkpoint-topic';
import { EventsLedger, EventsTreeProjection } from './events-tree';

export interface AuditLedgerConfig {
  dataDir: string;
  auditSigningKey?: string;
  auditOrigin: string;
  checkpointIntervalMs: number;
  kafkaBrokers?: string[];
  kafkaClientId: string;
}

export class AuditLedger {
  readonly runner: ProjectionRunner;
  readonly issuer: CheckpointIssuer;
  private readonly topic?: CheckpointTopic;

  constructor(
    store: EventStore,
    db: SqliteDatabase,
    config: AuditLedgerConfig,
    access: AccessTreeHead,
    logger: RunnerLogger & { error(message: string): void },
  ) {
    this.runner = new ProjectionRunner(
      store,
      sqliteProjectionTarget(db, new EventsTreeProjection()),
      logger,
    );
    const ledger = new EventsLedger(db);
    const key = AuditSigningKey.loadOrCreate({
      dataDir: config.dataDir,
      pem: config.auditSigningKey,
    });
    const topic = config.kafkaBrokers
      ? new CheckpointTopic({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId })
      : undefined;
    this.topic = topic;
    this.issuer = new CheckpointIssuer({
      tree: ledger.tree,
      access,
      log: new CheckpointLog(db),
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

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.issuer.stop();
    await this.topic?.close();
  }
}
