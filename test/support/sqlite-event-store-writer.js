/**
 * Child process for the embedded store's durability test: appends to several
 * streams concurrently, forever, and prints one line per acknowledged append:
 *   ack <streamId> <nextExpectedRevision> <eventId>[,<eventId>]
 * The test kills it with SIGKILL and checks that every acknowledged append
 * survived.
 *
 * Plain JavaScript, no ts-node: the adapter's TypeScript is transpiled on load
 * by typescript-require-hook.js.
 *
 * Usage: node sqlite-event-store-writer.js <database file> <number of streams>
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run by node without a build */
const path = require('node:path');
const { randomUUID } = require('node:crypto');
require('./typescript-require-hook');

const { SqliteEventStore } = require(
  path.join(__dirname, '..', '..', 'libs', 'event-store', 'src', 'sqlite', 'sqlite-event-store.ts'),
);

const [databaseFile, streamCount = '8'] = process.argv.slice(2);
const store = new SqliteEventStore(databaseFile);

async function writeCourse(streamId) {
  let revision = -1;
  for (let append = 0; ; append++) {
    // Alternate one- and two-event appends, so a kill can land inside a multi-event append.
    const size = (append % 2) + 1;
    const events = Array.from({ length: size }, (_, part) => ({
      eventId: randomUUID(),
      type: 'SessionRecorded',
      data: { append, part, of: size },
      metadata: {},
    }));
    const result = await store.appendToStream(streamId, events, {
      expectedRevision: revision < 0 ? 'no_stream' : revision,
    });
    revision = result.nextExpectedRevision;
    process.stdout.write(`ack ${streamId} ${revision} ${events.map((e) => e.eventId).join(',')}\n`);
  }
}

process.stdout.write('ready\n');
for (let i = 0; i < Number(streamCount); i++) {
  writeCourse(`course-${i}`).catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
