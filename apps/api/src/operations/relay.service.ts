/**
 * The Kafka relay in-process (embedded mode), when KAFKA_BROKERS is set. A
 * broker outage degrades the relay and readiness, never the command API.
 */
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { KafkaRelay, type CommittedTransaction, type RelayStatus } from '@ipt/analytics-feed';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';

@Injectable()
export class RelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay?: KafkaRelay;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) store: EventStore,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext('relay');
    if (!config.kafkaBrokers) return;
    this.relay = new KafkaRelay({
      store,
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      // Unset: the relay's default id; a deployment (or a test) that runs several feeds names its own.
      transactionalId: config.relayTransactionalId,
      producer: config.relayProducer,
      asyncApiUrl: `http://${config.host}:${config.port}/asyncapi.json`,
      // pino itself, so that `{ err }` keeps the error's message and stack.
      logger: {
        debug: (obj, msg) => logger.debug(obj, msg),
        info: (obj, msg) => logger.info(obj, msg),
        warn: (obj, msg) => logger.warn(obj, msg),
        error: (obj, msg) => logger.error(obj, msg),
      },
    });
  }

  /** Whether this process runs a relay (KAFKA_BROKERS set). */
  get configured(): boolean {
    return this.config.kafkaBrokers !== undefined;
  }

  onApplicationBootstrap(): void {
    // Not awaited: the API serves while the relay connects or waits for the broker.
    this.relay?.start().catch((err: Error) => this.logger.error({ err }, 'relay stopped'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }

  /** Each committed transaction of the relay, if this process runs one. */
  onCommitted(listener: (transaction: CommittedTransaction) => void): void {
    this.relay?.onCommitted(listener);
  }

  /** null when no relay runs in this process. */
  async status(): Promise<RelayStatus | null> {
    return this.relay ? this.relay.status() : null;
  }
}
