/**
 * No abort at garbage collection or shutdown, on every runtime (issue 17):
 * better-sqlite3 12 on Node 24 aborted the process (`Assertion failed:
 * (env) != nullptr`) when the collector finalised a Database after its
 * environment was gone (a collection V8 runs from its own task has no
 * JavaScript context). A child process does what triggered it, forced and
 * natural collections among dropped statements, worker threads, shutdown, and
 * must exit normally and silently. With better-sqlite3 12 on Node 24 this
 * child exits 134 within its first second.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STRESS = join(__dirname, '..', 'support', 'sqlite-gc-stress.js');
const major = Number(process.versions.node.split('.')[0]);

describe('SQLite driver: garbage collection, worker threads and shutdown', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ipt-sqlite-gc-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('survives forced collections under write load and exits normally, with nothing on stderr', async () => {
    const { code, signal, stdout, stderr } = await run(process.execPath, [
      '--expose-gc',
      STRESS,
      directory,
    ]);

    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const [word, driver, appends, statements, forced, own, workers] = stdout.trim().split(' ');
    expect(word).toBe('done');
    // The built-in driver wherever the runtime has it: the addon is what aborted on Node 24.
    expect(driver).toBe(major >= 22 ? 'node:sqlite' : 'better-sqlite3');
    expect(Number(appends)).toBe(8 * 60);
    expect(Number(statements)).toBeGreaterThanOrEqual(8 * 60 * 10);
    expect(Number(forced)).toBeGreaterThan(30);
    // Collections V8 ran by itself while statements were dropped: the path that aborted.
    expect(Number(own)).toBeGreaterThan(0);
    expect(Number(workers)).toBe(4);
  }, 120_000);
});

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
