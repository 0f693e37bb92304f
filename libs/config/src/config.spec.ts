import { ConfigError, loadConfig } from './config';

describe('configuration from the environment', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      kafkaClientId: 'ipt-course-ledger',
    });
    expect(config.eventStoreConnectionString).toBeUndefined();
    expect(config.kafkaBrokers).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/tmp/ledger',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_CLIENT_ID: 'ledger-1',
      LOG_LEVEL: 'debug',
      RUN_PROJECTIONS: 'false',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/tmp/ledger',
      authJwtSecret: 'x'.repeat(32),
      eventStoreConnectionString: 'esdb://localhost:2113?tls=false',
      kafkaBrokers: ['a:9092', 'b:9093'],
      kafkaClientId: 'ledger-1',
      runProjections: false,
      logLevel: 'debug',
    });
  });

  it('names every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        AUTH_JWT_SECRET: 'short',
        EVENTSTORE_CONNECTION_STRING: 'http://x',
        KAFKA_BROKERS: 'nohost',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split(' ')[0])).toEqual([
      'PORT',
      'AUTH_JWT_SECRET',
      'EVENTSTORE_CONNECTION_STRING',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
    ]);
  });
});
