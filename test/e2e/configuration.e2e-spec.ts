/**
 * A bad environment value stops each process (API, projector, relay) before
 * it does anything, with exit status 2 and one line naming the variable.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECTOR_MAIN, RELAY_MAIN, tempDataDir } from '../support/ledger-app';

const API_MAIN = path.resolve(__dirname, '../../dist/apps/api/src/main.js');

function run(
  main: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  if (!fs.existsSync(main))
    throw new Error(`no build at ${main}: run npm run build (npm test does)`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDataDir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('configuration errors at start', () => {
  it.each([
    [
      'the relay',
      RELAY_MAIN,
      { KAFKA_BROKERS: '127.0.0.1:9', RELAY_PORT: 'abc' },
      'RELAY_PORT must be a port number 0-65535, got "abc"',
    ],
    ['the relay', RELAY_MAIN, {}, 'KAFKA_BROKERS is required by this process'],
    [
      'the projector',
      PROJECTOR_MAIN,
      { PROJECTOR_PORT: '99999' },
      'PROJECTOR_PORT must be a port number 0-65535, got "99999"',
    ],
    [
      'the API',
      API_MAIN,
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      'the API',
      API_MAIN,
      { EVENTSTORE_CONNECTION_STRING: 'kurrentdb://127.0.0.1:2113' },
      'EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://',
    ],
  ])('%s stops with one line (case %#)', async (_process, main, env, problem) => {
    const { code, output } = await run(main, env as Record<string, string>);
    expect(code).toBe(2);
    expect(output).toBe(`invalid configuration: ${problem}\n`);
  });
});
