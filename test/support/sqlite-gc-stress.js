/**
 * Child process for the driver's shutdown test: does what aborted
 * better-sqlite3 12 on Node 24 (a Database or Statement finalised by the
 * garbage collector after its environment was gone), then exits normally.
 *
 *  1. write load on the event store while thousands of prepared statements
 *     are dropped unreferenced and the collector is forced between commits;
 *  2. collections V8 starts by itself, from its own tasks between turns of
 *     the event loop, while unreferenced statements pile up: the abort came
 *     from these (a finaliser with no JavaScript context), not from gc();
 *  3. worker threads that open databases, prepare and write, and exit
 *     without closing them (their environment is torn down under the handles);
 *  4. shutdown with unclosed, unreferenced databases still on the heap.
 *
 * Prints one line:
 *   `done <driver> <appends> <statements> <forced collections> <own collections> <workers>`.
 * Run with --expose-gc. Usage: node --expose-gc sqlite-gc-stress.js <folder>
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run by node without a build */
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { PerformanceObserver } = require('node:perf_hooks');
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
require('./typescript-require-hook');

const SQLITE = path.join(__dirname, '..', '..', 'libs', 'event-store', 'src', 'sqlite');
const { openSqlite, sqliteDriverName } = require(path.join(SQLITE, 'driver', 'index.ts'));

const STREAMS = 8;
const APPENDS_PER_STREAM = 60;
const STATEMENTS_PER_APPEND = 10;
const WORKERS = 4;
const OWN_COLLECTION_ROUNDS = 200;

/** Opens a database, prepares and runs statements, and leaves it all to the collector. */
function abandonDatabase(file, statements) {
  const db = openSqlite(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)');
  for (let i = 0; i < statements; i++) {
    db.prepare('INSERT INTO notes (body) VALUES (?)').run(`note ${i}`);
    db.prepare('SELECT count(*) AS n FROM notes WHERE id > ?').get(i);
  }
  return statements * 2;
}

if (!isMainThread) {
  const prepared = abandonDatabase(workerData.file, 200);
  parentPort.postMessage(prepared);
  // The worker ends here with its database open.
} else {
  main(process.argv[2]).catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}

async function main(folder) {
  if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
  const { SqliteEventStore } = require(path.join(SQLITE, 'sqlite-event-store.ts'));
  const store = new SqliteEventStore(path.join(folder, 'events.sqlite'));
  const readModels = openSqlite(path.join(folder, 'read-models.sqlite'));
  readModels.exec('CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY)');
  let appends = 0;
  let statements = 0;
  let collections = 0;

  // 1. Write load, statements dropped unreferenced, collections between commits.
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      for (let revision = -1; revision < APPENDS_PER_STREAM - 1;) {
        const event = { eventId: randomUUID(), type: 'SessionRecorded', data: { s }, metadata: {} };
        const result = await store.appendToStream(`course-${s}`, [event], {
          expectedRevision: revision < 0 ? 'no_stream' : revision,
        });
        revision = result.nextExpectedRevision;
        appends++;
        for (let i = 0; i < STATEMENTS_PER_APPEND; i++) {
          readModels.prepare('INSERT OR IGNORE INTO seen (event_id) VALUES (?)').run(event.eventId);
          statements++;
        }
        if (appends % 16 === 0) {
          global.gc();
          collections++;
        }
      }
    }),
  );
  // Whole databases abandoned on the main thread, then collected.
  for (let i = 0; i < 4; i++)
    statements += abandonDatabase(path.join(folder, `abandoned-${i}.sqlite`), 100);
  global.gc();
  collections++;

  // 2. Statements dropped while V8 collects on its own, between turns of the event loop.
  let ownCollections = 0;
  const observer = new PerformanceObserver((list) => (ownCollections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const scratch = openSqlite(path.join(folder, 'scratch.sqlite'));
  scratch.exec('CREATE TABLE IF NOT EXISTS t (n INTEGER)');
  for (let round = 0; round < OWN_COLLECTION_ROUNDS || ownCollections === 0; round++) {
    for (let i = 0; i < 250; i++) scratch.prepare('SELECT ? + count(*) AS n FROM t').get(i);
    statements += 250;
    // Short-lived garbage, so the young and old generations fill and V8 schedules collections.
    const garbage = [];
    for (let i = 0; i < 10_000; i++) garbage.push({ i, text: `row ${i}` });
    await new Promise((resolve) => setImmediate(resolve));
  }
  observer.disconnect();
  scratch.close();

  // 3. Workers that exit with their databases open; collect after each has gone.
  let workers = 0;
  await Promise.all(
    Array.from(
      { length: WORKERS },
      (_, w) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(__filename, {
            workerData: { file: path.join(folder, `worker-${w}.sqlite`) },
          });
          worker.on('message', (prepared) => (statements += prepared));
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (code !== 0) return reject(new Error(`worker ${w} exited with ${code}`));
            workers++;
            global.gc();
            collections++;
            resolve();
          });
        }),
    ),
  );

  // 4. Shutdown: the store closes as the service does; more databases stay open and unreferenced.
  await store.close();
  readModels.close();
  for (let i = 0; i < 4; i++)
    statements += abandonDatabase(path.join(folder, `left-open-${i}.sqlite`), 50);
  process.stdout.write(
    `done ${sqliteDriverName()} ${appends} ${statements} ${collections} ${ownCollections} ${workers}\n`,
  );
}
