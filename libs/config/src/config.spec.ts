import { ConfigError, loadConfig } from './config';

function problemsOf(env: NodeJS.ProcessEnv, options?: Parameters<typeof loadConfig>[1]): string[] {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration from the environment', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      kafkaClientId: 'ipt-course-ledger',
      runProjections: true,
      accessLogThread: true,
      requestTimeoutMs: 10000,
      maxViewWaiters: 1000,
    });
    expect(config.eventStoreConnectionString).toBeUndefined();
    expect(config.kafkaBrokers).toBeUndefined();
    expect(config.relayPort).toBeUndefined();
  });

  it('reads every variable, the workers’ included', () => {
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
      ACCESS_LOG_THREAD: 'false',
      PROJECTOR_PORT: '9101',
      RELAY_PORT: '9102',
      RELAY_TRANSACTIONAL_ID: 'relay-a',
      ASYNCAPI_URL: 'https://ledger.example/asyncapi.json',
      REQUEST_TIMEOUT_MS: '2500',
      MAX_VIEW_WAITERS: '50',
      AUDIT_SIGNING_KEY:
        '-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEI\\n-----END PRIVATE KEY-----',
      AUDIT_ORIGIN: 'ledger.example',
      CHECKPOINT_INTERVAL_MS: '2000',
      PHI_KEK: Buffer.alloc(32, 1).toString('base64'),
      PHI_KEK_NEW: Buffer.alloc(32, 2).toString('base64'),
      PHI_KEY_STORE: '/tmp/keys/keys.sqlite',
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
      accessLogThread: false,
      logLevel: 'debug',
      projectorPort: 9101,
      relayPort: 9102,
      relayTransactionalId: 'relay-a',
      asyncApiUrl: 'https://ledger.example/asyncapi.json',
      requestTimeoutMs: 2500,
      maxViewWaiters: 50,
      auditSigningKey:
        '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----',
      auditOrigin: 'ledger.example',
      checkpointIntervalMs: 2000,
      phiKek: Buffer.alloc(32, 1),
      phiKekNew: Buffer.alloc(32, 2),
      phiKeyStore: '/tmp/keys/keys.sqlite',
    });
  });

  it('refuses a signing key that is not a PEM without echoing it, and a checkpoint interval that is not a number', () => {
    expect(() =>
      loadConfig({ AUDIT_SIGNING_KEY: 'secret-bytes', CHECKPOINT_INTERVAL_MS: 'soon' }),
    ).toThrow(
      /AUDIT_SIGNING_KEY must be a PKCS#8 PEM.*CHECKPOINT_INTERVAL_MS must be a whole number/,
    );
    expect(() => loadConfig({ AUDIT_SIGNING_KEY: 'secret-bytes' })).not.toThrow(/secret-bytes/);
  });

  it('requires PHI_KEK with DATABASE_URL of a process that opens course keys, and of no other', () => {
    const url = 'postgres://ipt@db.example:5432/ipt';
    expect(() => loadConfig({ DATABASE_URL: url }, { opensCourseKeys: true })).toThrow(
      /PHI_KEK is required with DATABASE_URL/,
    );
    const kek = Buffer.alloc(32, 3).toString('base64');
    expect(
      loadConfig({ DATABASE_URL: url, PHI_KEK: kek }, { opensCourseKeys: true }).phiKek,
    ).toEqual(Buffer.alloc(32, 3));
    // The relay opens no key; embedded mode generates its KEK into the data folder.
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadConfig({}, { opensCourseKeys: true }).phiKek).toBeUndefined();
  });

  it('takes PHI_KEK and PHI_KEK_NEW as 32 bytes of base64, refuses anything else without echoing it, and places the key store', () => {
    const kek = Buffer.alloc(32, 9).toString('base64');
    const config = loadConfig({ PHI_KEK: kek, DATA_DIR: '/var/lib/ipt' });
    expect(config.phiKek?.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(config.phiKeyStore).toBe('/var/lib/ipt/keys.sqlite');
    expect(loadConfig({ PHI_KEY_STORE: '/srv/keys/k.sqlite' }).phiKeyStore).toBe(
      '/srv/keys/k.sqlite',
    );
    for (const bad of ['short-secret', Buffer.alloc(16).toString('base64'), `${kek}x`]) {
      expect(() => loadConfig({ PHI_KEK: bad })).toThrow(/PHI_KEK must be 32 bytes in base64/);
      expect(() => loadConfig({ PHI_KEK_NEW: bad })).toThrow(/PHI_KEK_NEW must be 32 bytes/);
      expect(() => loadConfig({ PHI_KEK: bad })).not.toThrow(bad);
    }
  });

  it('treats an empty or blank value as unset', () => {
    expect(loadConfig({ PORT: ' ', RELAY_PORT: '', LOG_LEVEL: '' })).toMatchObject({
      port: 3000,
      relayPort: undefined,
      logLevel: 'info',
    });
  });

  it('stops on RELAY_PORT=abc with one line naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ RELAY_PORT: 'abc' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'invalid configuration: RELAY_PORT must be a port number 0-65535, got "abc"',
    );
  });

  it('names every bad variable at once, without echoing a secret', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      AUTH_JWT_SECRET: 'short-secret-value',
      EVENTSTORE_CONNECTION_STRING: 'http://x',
      KAFKA_BROKERS: 'nohost',
      LOG_LEVEL: 'loud',
      RUN_PROJECTIONS: 'yes',
      ACCESS_LOG_THREAD: 'on',
      PROJECTOR_PORT: '70000',
      RELAY_PORT: '-1',
      ASYNCAPI_URL: 'ftp://ledger.example/asyncapi.json',
      REQUEST_TIMEOUT_MS: '5s',
      MAX_VIEW_WAITERS: '-1',
    });
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'PORT',
      'AUTH_JWT_SECRET',
      'EVENTSTORE_CONNECTION_STRING',
      'KAFKA_BROKERS',
      'RUN_PROJECTIONS',
      'ACCESS_LOG_THREAD',
      'LOG_LEVEL',
      'PROJECTOR_PORT',
      'RELAY_PORT',
      'ASYNCAPI_URL',
      'REQUEST_TIMEOUT_MS',
      'MAX_VIEW_WAITERS',
    ]);
    expect(problems.join('\n')).not.toContain('short-secret-value');
  });

  it.each([
    ['esdb://127.0.0.1:2113?tls=false', true],
    ['esdb+discover://cluster.example:2113', true],
    ['kurrentdb://127.0.0.1:2113', false], // @eventstore/db-client 6 does not parse it
    ['kdb://127.0.0.1:2113', false],
    ['ESDB://127.0.0.1:2113', false], // the client matches the scheme case-sensitively
    ['127.0.0.1:2113', false],
  ])('accepts EVENTSTORE_CONNECTION_STRING %s: %s', (value, accepted) => {
    const load = () => loadConfig({ EVENTSTORE_CONNECTION_STRING: value });
    if (accepted) expect(load().eventStoreConnectionString).toBe(value);
    else
      expect(load).toThrow(
        /^invalid configuration: EVENTSTORE_CONNECTION_STRING must start with esdb:\/\/ or esdb\+discover:\/\/$/,
      );
  });

  it.each([
    ['postgres://ipt:secret-pw@db.example:5432/ipt', true],
    ['postgresql://127.0.0.1/ipt?sslmode=require', true],
    ['mysql://ipt:secret-pw@db.example/ipt', false],
    ['db.example:5432/ipt', false],
    ['postgres://ipt:secret-pw@db example/ipt', false],
  ])('accepts DATABASE_URL %s: %s, never echoing it', (value, accepted) => {
    const load = () => loadConfig({ DATABASE_URL: value });
    if (accepted) expect(load().databaseUrl).toBe(value);
    else {
      expect(load).toThrow(
        /^invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL$/,
      );
      expect(problemsOf({ DATABASE_URL: value }).join('\n')).not.toContain('secret-pw');
    }
  });

  it('stops a process that needs a variable when it is unset', () => {
    expect(problemsOf({}, { require: ['KAFKA_BROKERS'] })).toEqual([
      'KAFKA_BROKERS is required by this process',
    ]);
    expect(
      loadConfig({ KAFKA_BROKERS: 'k:9092' }, { require: ['KAFKA_BROKERS'] }).kafkaBrokers,
    ).toEqual(['k:9092']);
  });

  it('reads the identity provider settings together, and refuses them partly or beside a secret', () => {
    const provider = {
      AUTH_JWKS_URL: 'https://idp.example/realms/ipt/protocol/openid-connect/certs',
      AUTH_ISSUER: 'https://idp.example/realms/ipt',
      AUTH_AUDIENCE: 'ipt-course-ledger',
    };
    expect(loadConfig(provider).authJwks).toEqual({
      jwksUrl: provider.AUTH_JWKS_URL,
      issuer: provider.AUTH_ISSUER,
      audience: provider.AUTH_AUDIENCE,
      clinicClaim: 'clinic_id',
      rolesClaim: 'roles',
      jwksCooldownSeconds: 30,
      jwksMaxAgeSeconds: 600,
      clockToleranceSeconds: 30,
    });
    expect(
      loadConfig({ ...provider, AUTH_ROLES_CLAIM: 'realm_access.roles' }).authJwks?.rolesClaim,
    ).toBe('realm_access.roles');
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ AUTH_JWKS_URL: provider.AUTH_JWKS_URL })).toEqual([
      'AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE must be set together',
    ]);
    expect(problems({ ...provider, AUTH_JWT_SECRET: 'x'.repeat(32) })[0]).toMatch(
      /^AUTH_JWT_SECRET cannot be set with AUTH_JWKS_URL/,
    );
    expect(
      problems({
        ...provider,
        AUTH_ROLES_CLAIM: 'realm access.roles',
        AUTH_JWKS_COOLDOWN_SECONDS: '0',
      }),
    ).toHaveLength(2);
  });
});
