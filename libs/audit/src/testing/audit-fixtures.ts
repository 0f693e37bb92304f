/** Test fixtures of the audit core: sealed course streams with PHI-shaped (fake, encrypted-looking) data. */
import { randomUUID } from 'node:crypto';
import { sealEvents, type ChainedEvent } from '../chain';
import { GENESIS_HASH } from '../hashing';

export function courseStream(courseId: string, length: number): ChainedEvent[] {
  const streamId = `course-${courseId}`;
  const events: ChainedEvent[] = Array.from({ length }, (_, revision) => ({
    streamId,
    revision,
    eventId: randomUUID(),
    type: revision === 0 ? 'CourseEnrolled' : 'SessionRecorded',
    data: {
      courseId,
      sessionNumber: revision,
      scores: [revision, 10 - revision],
      phi: { ciphertext: `enc:v1:${Buffer.from(`note ${revision}`).toString('base64')}` },
    },
    metadata: { actor: { id: 'u1', role: 'clinician' }, correlationId: randomUUID() },
  }));
  return sealEvents(events, GENESIS_HASH);
}

/** A deep copy, so a test can tamper with it. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
