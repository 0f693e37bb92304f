/**
 * Starts the built API (dist/) as a real child process on a free port with a
 * temporary data folder, for end-to-end tests over real HTTP. `npm test`
 * builds first; a missing build fails with a clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { signToken } from '@ipt/auth';
import { createLedgerClient, type LedgerApiClient } from '@ipt/client';
import type { Role } from '@ipt/course';
import { checkAnswer, headersOf } from './openapi-contract';

export const TEST_JWT_SECRET = 'test-secret-of-at-least-thirty-two-characters!';
const DIST = path.resolve(__dirname, '../../dist');
const MAIN = path.join(DIST, 'apps/api/src/main.js');
export const PROJECTOR_MAIN = path.join(DIST, 'apps/projector/src/main.js');
export const RELAY_MAIN = path.join(DIST, 'apps/relay/src/main.js');

export interface LedgerAppOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Another built entry point (e.g. the projector worker) and the output line that says it is up. */
  worker?: { main: string; readyText: string };
  /** How long to wait for the ready line (default 30 s; a benchmark's large store takes longer). */
  startTimeoutMs?: number;
  /** Node options that NODE_OPTIONS refuses (e.g. --cpu-prof), before the entry point. */
  execArgv?: string[];
  /** The Node.js binary (default: this process's), e.g. another runtime for the benchmark. */
  node?: string;
}

export interface LedgerApp {
  baseUrl: string;
  pid: number;
  dataDir: string;
  /** Stops the process: SIGTERM (graceful) or SIGKILL (crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Output so far, for failure messages. */
  output(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDataDir(prefix = 'ipt-ledger-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startLedgerApp(options: LedgerAppOptions = {}): Promise<LedgerApp> {
  const main = options.worker?.main ?? MAIN;
  const readyText = options.worker?.readyText ?? '"msg":"listening"';
  if (!fs.existsSync(main))
    throw new Error(`no build at ${main}: run npm run build (npm test does)`);
  const dataDir = options.dataDir ?? tempDataDir();
  const port = await freePort();
  const child: ChildProcess = spawn(
    options.node ?? process.execPath,
    [...(options.execArgv ?? []), main],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 30000;
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${path.basename(main)} did not start within ${timeoutMs / 1000} s:\n${output}`,
          ),
        ),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    dataDir,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function tokenFor(
  clinicId: string,
  roles: Role[],
  sub = `${roles[0]}@${clinicId}`,
  expiresInSeconds = 3600,
): string {
  return signToken({ sub, clinicId, roles }, TEST_JWT_SECRET, expiresInSeconds);
}

export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A small HTTP client over fetch that keeps the status, headers and parsed
 * body; every answer is checked against the OpenAPI document (openapi-contract.ts).
 */
export class LedgerClient {
  /**
   * The same caller through the typed client generated from the OpenAPI
   * document (libs/client, openapi-fetch); its answers are checked too.
   */
  readonly typed: LedgerApiClient;

  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {
    this.typed = createLedgerClient({ baseUrl, token, fetch: checkedFetch });
  }

  as(token: string | undefined): LedgerClient {
    return new LedgerClient(this.baseUrl, token);
  }

  get<T = any>(route: string, headers: Record<string, string> = {}): Promise<HttpAnswer<T>> {
    return this.request<T>('GET', route, undefined, headers);
  }

  post<T = any>(
    route: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    return this.request<T>('POST', route, body, headers);
  }

  async request<T>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    const response = await fetch(this.baseUrl + route, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    checkAnswer({
      method,
      url: route,
      status: response.status,
      headers: headersOf(response.headers),
      text,
    });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }
}

/** fetch that checks every answer against the OpenAPI document before handing it on. */
async function checkedFetch(request: Request): Promise<Response> {
  const response = await fetch(request);
  const url = new URL(request.url);
  checkAnswer({
    method: request.method,
    url: url.pathname + url.search,
    status: response.status,
    headers: headersOf(response.headers),
    text: await response.clone().text(),
  });
  return response;
}
