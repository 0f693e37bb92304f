/**
 * The key store port (privacy.md, "Stored form"): one data key per course,
 * kept apart from the events, wrapped by the KEK; erasure destroys the key and
 * leaves a tombstone, and a tombstone always wins over a key (the fence).
 * Async so that a database adapter (PostgreSQL) fits the same port; the
 * embedded adapter is `SqliteKeyStore`. Every adapter runs
 * `keyStoreContract` (key-store.contract.ts).
 */

export interface LiveKey {
  state: 'live';
  courseId: string;
  keyId: string;
  /** The unwrapped data key (32 bytes). Never log it, never store it elsewhere. */
  key: Buffer;
}

export interface Tombstone {
  state: 'erased';
  courseId: string;
  keyId: string;
  erasedAt: string;
}

export type KeyLookup = LiveKey | Tombstone | { state: 'missing'; courseId: string };

/** The course's key was erased: nothing may create or use one for it again. */
export class KeyErasedError extends Error {
  readonly code = 'course_erased';
  constructor(readonly courseId: string) {
    super('the course key is erased');
    this.name = 'KeyErasedError';
  }
}

/** A sealed `phi` whose key is neither live nor erased: data loss, not erasure (privacy.md). */
export class KeyMissingError extends Error {
  readonly code = 'key_missing';
  constructor(readonly courseId: string) {
    super(`no key and no tombstone for course ${courseId}`);
    this.name = 'KeyMissingError';
  }
}

export interface KeyStore {
  /** The course's live key, created if it has none; KeyErasedError if it has a tombstone. */
  ensure(courseId: string): Promise<LiveKey>;
  /** The course's key, its tombstone, or neither. A tombstone wins over a key row. */
  get(courseId: string): Promise<KeyLookup>;
  /**
   * Destroys the course's key and leaves a tombstone (idempotent: a second
   * call returns the first tombstone). A course without a key gets a
   * tombstone too, so no key can be created for it later.
   */
  destroy(courseId: string, erasedAt: string): Promise<Tombstone>;
  /** Re-wraps every data key under `next` (which becomes the current KEK); events are not touched. */
  rotateKek(next: { id: string; key: Buffer }): Promise<{ rewrapped: number }>;
  /** How many live keys each KEK id wraps. */
  keysByKek(): Promise<Record<string, number>>;
  /** How far the erasure fence has read the event log (exclusive of nothing: the last position it handled). */
  fencePosition(): Promise<bigint | undefined>;
  setFencePosition(position: bigint): Promise<void>;
  close(): Promise<void>;
}
