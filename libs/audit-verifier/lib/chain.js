'use strict';
/** The per-course hash chain of audit.md §1, recomputed from the events as stored. */
const { createHash } = require('node:crypto');
const { canonicalJson } = require('./canonical');

const ZERO_HASH = '0'.repeat(64);
const HEX_HASH = /^[0-9a-f]{64}$/;

function eventHash(event) {
  const metadata = Object.assign({}, event.metadata);
  delete metadata.hash;
  const covered = {
    streamId: event.streamId,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    data: event.data,
    metadata,
  };
  return createHash('sha256').update(canonicalJson(covered), 'utf8').digest('hex');
}

/**
 * Checks events in the order given, from revision 0. Returns
 * { valid: true, hashes } or { valid: false, revision, problem } where
 * `revision` is the first revision where the stream differs from its chain
 * (for a missing event, the missing revision).
 */
function checkChain(events, streamId) {
  let previous = ZERO_HASH;
  const hashes = [];
  for (let expected = 0; expected < events.length; expected++) {
    const event = events[expected];
    const fail = (problem) => ({ valid: false, revision: expected, problem });
    if (
      !event ||
      typeof event !== 'object' ||
      !event.metadata ||
      typeof event.metadata !== 'object'
    ) {
      return fail('the event is not an object with metadata');
    }
    if (event.streamId !== streamId) return fail(`the event belongs to stream ${event.streamId}`);
    if (event.revision !== expected) {
      return fail(
        `found revision ${event.revision} where revision ${expected} belongs (missing or moved)`,
      );
    }
    let computed;
    try {
      computed = eventHash(event);
    } catch (error) {
      return fail(`the event cannot be hashed (${error.message})`);
    }
    const stored = event.metadata.hash;
    if (typeof stored !== 'string' || !HEX_HASH.test(stored)) return fail('the event has no hash');
    if (stored !== computed) return fail('the stored hash is not the hash of the event (changed)');
    if (event.metadata.prevHash !== previous) {
      return fail(
        "prevHash is not the previous event's hash (an event before it is missing or moved)",
      );
    }
    hashes.push(computed);
    previous = computed;
  }
  return { valid: true, hashes };
}

module.exports = { eventHash, checkChain, ZERO_HASH };
