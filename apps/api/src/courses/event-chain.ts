/**
 * The last step of the write path before the append: chains each event to
 * the course's previous one (audit.md §1). It hashes the events exactly as
 * they will be stored, so any step that changes what is stored (PHI
 * encryption) must run before it.
 */
import { sealEvents } from '@ipt/audit';
import type { EventToAppend } from '@ipt/event-store';

export function sealForAppend(
  streamId: string,
  firstRevision: number,
  events: readonly EventToAppend[],
  lastHash: string,
): EventToAppend[] {
  const sealed = sealEvents(
    events.map((event, i) => ({ ...event, streamId, revision: firstRevision + i })),
    lastHash,
  );
  return sealed.map(({ eventId, type, data, metadata }) => ({ eventId, type, data, metadata }));
}
