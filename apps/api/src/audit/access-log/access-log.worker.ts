/**
 * The worker thread behind ThreadedAccessLog (access-log.thread.ts): it owns
 * the SQLite access log (AccessLogStore) and answers the request thread's calls.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { UnsealedAccessRecord } from '@ipt/audit';
import { AccessLogStore } from './access-log.store';
import type { AccessLogCall, AccessLogReply } from './access-log.thread';

const port = parentPort!;
// A throw here (a file whose records and tree disagree) ends the thread: start() rejects with it.
const store = new AccessLogStore((workerData as { filename: string }).filename);

/** Every record of a group settles on its own: one refused record does not refuse the others. */
async function appendAll(records: UnsealedAccessRecord[]) {
  const settled = await Promise.allSettled(records.map((record) => store.append(record)));
  return settled.map((s) =>
    s.status === 'fulfilled' ? { stored: s.value } : { error: describe(s.reason) },
  );
}

function describe(error: unknown): { name: string; message: string } {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return { name, message };
}

async function answer(call: AccessLogCall): Promise<unknown> {
  switch (call.method) {
    case 'appendAll':
      return appendAll(call.args[0]);
    case 'head':
      return store.head();
    case 'inclusionProof':
      return store.inclusionProof(...call.args);
    case 'leafHash':
      return store.leafHash(...call.args);
    case 'query':
      return store.query(...call.args);
    case 'clinicRecords':
      return store.clinicRecords(...call.args);
    case 'drain':
      return store.drain();
    case 'close':
      return store.close();
  }
}

port.on('message', (call: AccessLogCall) => {
  answer(call).then(
    (value) => port.postMessage({ id: call.id, value } satisfies AccessLogReply),
    (error: unknown) =>
      port.postMessage({ id: call.id, error: describe(error) } satisfies AccessLogReply),
  );
});
port.postMessage({ id: 0, value: 'ready' } satisfies AccessLogReply);
