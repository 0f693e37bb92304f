/** One jest run for unit specs (beside the code), store contract suites and end-to-end suites. */
// The @ipt/... aliases are tsconfig.json's `paths` (one list for tsc, jest and the require hook),
// among them @ipt/projections/views: the pure folds without the SQLite side of @ipt/projections.
const { paths } = require('./tsconfig.json').compilerOptions;
const moduleNameMapper = Object.fromEntries(
  Object.entries(paths)
    .filter(([alias]) => alias.startsWith('@ipt/'))
    .map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);
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
