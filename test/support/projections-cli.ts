/** `npm run projections` as a separate process (the built CLI), for the suites that drive it. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';

const PROJECTIONS_CLI = path.resolve(__dirname, '../../dist/scripts/projections.js');

export type ProjectionsCli = (...args: string[]) => SpawnSyncReturns<string>;

/** The CLI with only these variables (and PATH): as on another machine or shell. */
export function projectionsCli(env: Record<string, string>): ProjectionsCli {
  return (...args) =>
    spawnSync(process.execPath, [PROJECTIONS_CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
}

/** `rebuild course-outcomes`: asked for, followed until switched over, exit 0. */
export function expectRebuildThroughCli(cli: ProjectionsCli): void {
  const rebuilt = cli('rebuild', 'course-outcomes');
  expect(rebuilt.stderr).toMatch(/^rebuild \d+ of course-outcomes: asked for/);
  expect(rebuilt.stdout).toMatch(
    /^course-outcomes: rebuild \d+ done at \S+ \(\d+\/\d+ events, \d+\/s\)/,
  );
  expect(rebuilt.status).toBe(0);
}
