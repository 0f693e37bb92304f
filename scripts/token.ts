/**
 * Prints a bearer token for the embedded mode's secret:
 *   npm run token -- --clinic clinic-a --role clinician [--sub alice] [--hours 8]
 * Uses AUTH_JWT_SECRET when set, else the secret in DATA_DIR (created if missing).
 */
import { parseArgs } from 'node:util';
import { resolveJwtSecret, signToken } from '@ipt/auth';
import { ROLES, type Role } from '@ipt/course';
import { ConfigError, loadConfig } from '@ipt/config';

function main(): void {
  const { values } = parseArgs({
    options: {
      clinic: { type: 'string' },
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      hours: { type: 'string', default: '8' },
    },
  });
  const roles = (values.role ?? []).flatMap((r) => r.split(','));
  const hours = Number(values.hours);
  const problems: string[] = [];
  if (!values.clinic) problems.push('--clinic is required');
  if (roles.length === 0 || !roles.every((r) => (ROLES as readonly string[]).includes(r))) {
    problems.push(`--role is required, one or more of ${ROLES.join(', ')}`);
  }
  if (!Number.isFinite(hours) || hours <= 0) problems.push('--hours must be a positive number');
  if (problems.length > 0) {
    process.stderr.write(
      `${problems.join('\n')}\nusage: npm run token -- --clinic C --role R [--sub S] [--hours H]\n`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  if (config.authJwks) {
    process.stderr.write(
      "AUTH_JWKS_URL is set: the service accepts only the identity provider's tokens, ask it for one\n",
    );
    process.exit(2);
  }
  const secret = resolveJwtSecret(config.authJwtSecret, config.dataDir);
  const sub = values.sub ?? `${roles[0]}@${values.clinic}`;
  process.stdout.write(
    signToken(
      { sub, clinicId: values.clinic!, roles: roles as Role[] },
      secret,
      Math.round(hours * 3600),
    ) + '\n',
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(1);
}
