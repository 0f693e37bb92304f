/**
 * The Kafka relay in-process (embedded mode), when KAFKA_BROKERS is set. A
 * broker outage degrades the relay and readiness, never the command API.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { KafkaRelay, type RelayStatus } from '@ipt/analytics-feed';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';

export type RelayHealth = RelayStatus & { healthy: boolean };

@Injectable()
export class RelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('relay');
  private relay?: KafkaRelay;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.kafkaBrokers) return;
    const logger = this.logger;
    const say = (level: 'debug' | 'log' | 'warn' | 'error') => (obj: object, msg?: string) =>
      logger[level](`${msg ?? ''} ${JSON.stringify(obj)}`.trim());
    this.relay = new KafkaRelay({
      store: this.store,
      brokers: this.config.kafkaBrokers,
      clientId: this.config.kafkaClientId,
      asyncApiUrl: `http://${this.config.host}:${this.config.port}/asyncapi.json`,
      logger: { debug: say('debug'), info: say('log'), warn: say('warn'), error: say('error') },
    });
    // Not awaited: the API serves while the relay connects or waits for the broker.
    this.relay
      .start()
      .catch((error: Error) => this.logger.error(`relay stopped: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }

  /** null when no broker is configured. */
  async status(): Promise<RelayHealth | null> {
    if (!this.relay) return null;
    const status = await this.relay.status();
    return { ...status, healthy: status.state === 'running' };
  }

  async metricsText(): Promise<string> {
    return this.relay ? this.relay.metricsText() : '';
  }
}
