/** One jest run for unit specs (beside the code), store contract suites and end-to-end suites. */
const moduleNameMapper = {
  '^@ipt/(course|event-store|projections|analytics-feed|audit|auth|config|fhir|observability|telemetry)$':
    '<rootDir>/libs/$1/src',
  // The pure read-model folds alone, for libs that must not load the SQLite side of @ipt/projections.
  '^@ipt/projections/views$': '<rootDir>/libs/projections/src/views',
};
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleNameMapper,
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/**/*.*-spec.ts'],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // A real Kafka broker for test/kafka when KAFKA_BROKERS is unset (started only if a Kafka suite is selected).
  globalSetup: '<rootDir>/test/support/kafka-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/kafka-global-teardown.ts',
};
