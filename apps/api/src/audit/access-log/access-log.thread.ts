/**
 * The embedded access log on a thread of its own (issue 14). The SQLite adapter
 * (access-log.store.ts) runs in a worker thread (access-log.worker.ts), so the
 * sealing, hashing, insert, tree nodes and commit of every recorded request
 * leave the request thread: they were 27 % of a read's CPU there. Records
 * appended in one turn of the event loop cross to the thread in one message,
 * where they join one group commit; each answer still waits for its own
 * record's fsync, so what is durable before an answer leaves is unchanged.
 *
 * A thread that dies refuses what was in flight (the answers become 503) and
 * is started again, from the file, by the next call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TreeHead, UnsealedAccessRecord } from '@ipt/audit';
import {
  AccessLogUnavailableError,
  type AccessLog,
  type AccessLogQuery,
  type PendingAccessRecord,
  type StoredAccessRecord,
} from './access-log';
import { ACCESS_LOG_FILE } from './access-log.store';

/** A call to the thread; `id` 0 is its "ready" message. */
export type AccessLogCall = { id: number } & (
  | { method: 'appendAll'; args: [UnsealedAccessRecord[]] }
  | { method: 'head' | 'drain' | 'close'; args: [] }
  | { method: 'inclusionProof'; args: [leafIndex: number, size: number] }
  | { method: 'leafHash'; args: [leafIndex: number] }
  | { method: 'query'; args: [AccessLogQuery] }
  | { method: 'clinicRecords'; args: [clinicId: string] }
);

export interface ErrorDescription {
  name: string;
  message: string;
}

export interface AccessLogReply {
  id: number;
  value?: unknown;
  error?: ErrorDescription;
}

/** What the thread answers an `appendAll`: one outcome per record, in order. */
type AppendOutcome = { stored: StoredAccessRecord } | { error: ErrorDescription };

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadedAccessLog implements AccessLog {
  private thread?: Promise<Worker>;
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private queue: PendingAccessRecord[] = [];
  private sendScheduled = false;
  private readonly sending = new Set<Promise<void>>();
  private closed = false;

  private constructor(
    readonly filename: string,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Resolves once the thread has opened the file (and checked its records against its tree).
   * `warn` is told when a thread stops without being asked to.
   */
  static async open(
    filename: string,
    warn: (message: string) => void = () => undefined,
  ): Promise<ThreadedAccessLog> {
    const log = new ThreadedAccessLog(filename, warn);
    await log.worker();
    return log;
  }

  static inDataDir(dataDir: string, warn?: (message: string) => void): Promise<ThreadedAccessLog> {
    return ThreadedAccessLog.open(path.join(dataDir, ACCESS_LOG_FILE), warn);
  }

  append(record: UnsealedAccessRecord): Promise<StoredAccessRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.sendScheduled) return;
      this.sendScheduled = true;
      // setImmediate (not a microtask): answers sent in the same I/O phase cross in one message.
      setImmediate(() => this.send());
    });
  }

  async drain(): Promise<void> {
    this.send();
    await Promise.all([...this.sending]);
    if (this.thread) await this.call('drain', []);
  }

  head(): Promise<TreeHead> {
    return this.call('head', []) as Promise<TreeHead>;
  }

  inclusionProof(leafIndex: number, size: number): Promise<string[]> {
    return this.call('inclusionProof', [leafIndex, size]) as Promise<string[]>;
  }

  leafHash(leafIndex: number): Promise<string> {
    return this.call('leafHash', [leafIndex]) as Promise<string>;
  }

  query(query: AccessLogQuery): Promise<StoredAccessRecord[]> {
    return this.call('query', [query]) as Promise<StoredAccessRecord[]>;
  }

  clinicRecords(clinicId: string): Promise<StoredAccessRecord[]> {
    return this.call('clinicRecords', [clinicId]) as Promise<StoredAccessRecord[]>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    const worker = await thread.catch(() => undefined);
    if (!worker) return;
    await this.post(worker, 'close', []);
    await worker.terminate();
  }

  private send(): void {
    this.sendScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const sent = this.call('appendAll', [batch.map((pending) => pending.record)]).then(
      (outcomes) => {
        for (const [i, outcome] of (outcomes as AppendOutcome[]).entries()) {
          if ('stored' in outcome) batch[i].resolve(outcome.stored);
          else batch[i].reject(revive(outcome.error));
        }
      },
      (error: Error) => {
        for (const pending of batch) pending.reject(unavailable(error));
      },
    );
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  private async call(method: AccessLogCall['method'], args: AccessLogCall['args']) {
    return this.post(await this.worker(), method, args);
  }

  private post(worker: Worker, method: AccessLogCall['method'], args: AccessLogCall['args']) {
    return new Promise<unknown>((resolve, reject) => {
      const id = this.nextId++;
      this.calls.set(id, { resolve, reject });
      // A call under way keeps the process alive until it is answered; an idle thread does not.
      if (this.calls.size === 1) worker.ref();
      worker.postMessage({ id, method, args } as AccessLogCall);
    });
  }

  private worker(): Promise<Worker> {
    if (this.closed)
      return Promise.reject(new AccessLogUnavailableError('the access log is closed'));
    return (this.thread ??= this.spawn());
  }

  private spawn(): Promise<Worker> {
    const worker = startThread(this.filename);
    const started = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (reply: AccessLogReply) => {
        if (reply.id === 0) {
          worker.unref();
          resolve(worker);
          return;
        }
        this.answered(worker, reply);
      });
      worker.on('error', reject);
      worker.once('exit', (code) => {
        const error = new AccessLogUnavailableError(`the access log's thread stopped (${code})`);
        reject(error);
        if (!this.closed) {
          this.warn(
            `${error.message}; refused in flight: ${this.calls.size}; the next call starts another`,
          );
        }
        // The next call starts a new thread from the file.
        if (this.thread === started) this.thread = undefined;
        for (const call of this.calls.values()) call.reject(error);
        this.calls.clear();
      });
    });
    return started;
  }

  private answered(worker: Worker, reply: AccessLogReply): void {
    const call = this.calls.get(reply.id);
    if (!call) return;
    this.calls.delete(reply.id);
    if (this.calls.size === 0) worker.unref();
    if (reply.error) call.reject(revive(reply.error));
    else call.resolve(reply.value);
  }
}

/** The compiled worker beside this file, or, run from the TypeScript sources (jest, the benchmarks), the source through the project's require hook. */
function startThread(filename: string): Worker {
  const options = { workerData: { filename } };
  const compiled = path.join(__dirname, 'access-log.worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled, options);
  const hook = path.resolve(__dirname, '../../../../../test/support/kafka-ts-register.js');
  const source = path.join(__dirname, 'access-log.worker.ts');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(source)});`, {
    ...options,
    eval: true,
  });
}

function revive({ name, message }: ErrorDescription): Error {
  if (name === 'AccessLogUnavailableError') return new AccessLogUnavailableError(message);
  const error = name === 'RangeError' ? new RangeError(message) : new Error(message);
  if (error.name !== name) error.name = name;
  return error;
}

function unavailable(error: Error): Error {
  return error instanceof AccessLogUnavailableError
    ? error
    : new AccessLogUnavailableError('the access log could not commit', { cause: error });
}
