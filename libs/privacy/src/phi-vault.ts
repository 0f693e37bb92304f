/**
 * Where PHI meets its keys: seals the `phi` of events about to be appended,
 * opens it again for the readers that show it (views, history, state, FHIR),
 * and erases a course by destroying its key. Reading an erased course's
 * `phi` gives null with `phiErased`; a sealed `phi` whose key is neither live
 * nor erased is KeyMissingError (data loss, privacy.md).
 */
import { LRUCache } from 'lru-cache';
import { EventDecodeError } from '@ipt/course';
import {
  isSealedPhi,
  digestKey,
  keyedDigest,
  openPhi,
  phiAad,
  sealPhi,
  PhiIntegrityError,
} from './phi-crypto';
import {
  KeyErasedError,
  KeyMissingError,
  type KeyLookup,
  type KeyStore,
  type LiveKey,
  type Tombstone,
} from './key-store.port';

/** What the vault needs of a stored or drafted event. */
interface EventLike {
  eventId: string;
  data: Record<string, unknown>;
}

/** An opened event: `phi` in plain, or null with `phiErased` once the course is erased. */
export type Opened<E> = E & { phiErased: boolean };

/** Live keys are remembered this long: another process's erasure reaches this one within it. */
const LIVE_KEY_TTL_MS = 30_000;

export class PhiVault {
  private readonly live: LRUCache<string, LiveKey>;
  private readonly erased: LRUCache<string, Tombstone>;
  /** The digest key derived from each cached data key (HKDF once per key, not per command). */
  private readonly macKeys = new WeakMap<LiveKey, Buffer>();

  constructor(
    readonly keys: KeyStore,
    /** Courses whose key (or tombstone) stays in memory. */
    cachedCourses = 20_000,
  ) {
    this.live = new LRUCache({ max: cachedCourses, ttl: LIVE_KEY_TTL_MS });
    this.erased = new LRUCache({ max: cachedCourses });
  }

  /**
   * The course's live key, created when `create` (a new enrollment, or a
   * course recorded before PHI was encrypted); KeyErasedError once erased,
   * KeyMissingError when a course that has one lost it.
   */
  async liveKey(courseId: string, create: boolean): Promise<LiveKey> {
    const cached = this.live.get(courseId);
    if (cached) return cached;
    if (this.erased.has(courseId)) throw new KeyErasedError(courseId);
    const lookup = create ? await this.keys.ensure(courseId) : await this.lookup(courseId);
    if (lookup.state === 'erased') throw new KeyErasedError(courseId);
    if (lookup.state === 'missing') throw new KeyMissingError(courseId);
    this.live.set(courseId, lookup);
    return lookup;
  }

  /** Seals every draft's `phi` with the course key, bound to `<streamId>/<eventId>`. */
  seal<E extends EventLike>(streamId: string, key: LiveKey, drafts: readonly E[]): E[] {
    return drafts.map((draft) => {
      const phi = draft.data.phi;
      if (phi === undefined || phi === null || isSealedPhi(phi)) return draft;
      const sealed = sealPhi(
        key.key,
        key.keyId,
        phi as Record<string, unknown>,
        phiAad(streamId, draft.eventId),
      );
      return { ...draft, data: { ...draft.data, phi: sealed } };
    });
  }

  /** HMAC of a request under the course key: what stands for "the same body" (domain rule 15). */
  digest(key: LiveKey, canonicalRequest: string): string {
    let macKey = this.macKeys.get(key);
    if (!macKey) {
      macKey = digestKey(key.key);
      this.macKeys.set(key, macKey);
    }
    return keyedDigest(macKey, canonicalRequest);
  }

  /** Opens the `phi` of one course's events (all of `courseId`). */
  async open<E extends EventLike & { streamId: string; revision: number }>(
    courseId: string,
    events: readonly E[],
  ): Promise<Opened<E>[]> {
    if (!events.some((e) => isSealedPhi(e.data.phi)))
      return events.map((e) => ({ ...e, phiErased: false }));
    const lookup = await this.lookup(courseId);
    return events.map((e) => this.openOne(e, lookup));
  }

  /** Opens the `phi` of events of any courses (a projection batch). */
  async openMany<E extends EventLike & { streamId: string; revision: number }>(
    courseIdOf: (event: E) => string,
    events: readonly E[],
  ): Promise<Opened<E>[]> {
    const lookups = new Map<string, KeyLookup>();
    for (const e of events) {
      if (!isSealedPhi(e.data.phi)) continue;
      const courseId = courseIdOf(e);
      if (!lookups.has(courseId)) lookups.set(courseId, await this.lookup(courseId));
    }
    return events.map((e) =>
      isSealedPhi(e.data.phi)
        ? this.openOne(e, lookups.get(courseIdOf(e))!)
        : { ...e, phiErased: false },
    );
  }

  /** Destroys the course key, leaving the tombstone; the receipt's keyId and time. */
  async erase(courseId: string, erasedAt: string): Promise<Tombstone> {
    const tombstone = await this.keys.destroy(courseId, erasedAt);
    this.live.delete(courseId);
    this.erased.set(courseId, tombstone);
    return tombstone;
  }

  /** The tombstone of an erased course, if any. */
  async tombstone(courseId: string): Promise<Tombstone | undefined> {
    const lookup = await this.lookup(courseId);
    return lookup.state === 'erased' ? lookup : undefined;
  }

  private async lookup(courseId: string): Promise<KeyLookup> {
    const erased = this.erased.get(courseId);
    if (erased) return erased;
    const live = this.live.get(courseId);
    if (live) return live;
    const lookup = await this.keys.get(courseId);
    if (lookup.state === 'live') this.live.set(courseId, lookup);
    if (lookup.state === 'erased') this.erased.set(courseId, lookup);
    return lookup;
  }

  private openOne<E extends EventLike & { streamId: string; revision: number }>(
    event: E,
    lookup: KeyLookup,
  ): Opened<E> {
    const sealed = event.data.phi;
    if (!isSealedPhi(sealed)) return { ...event, phiErased: false };
    if (lookup.state === 'erased')
      return { ...event, data: { ...event.data, phi: null }, phiErased: true };
    if (lookup.state === 'missing') throw new KeyMissingError(lookup.courseId);
    if (sealed.keyId !== lookup.keyId) throw new KeyMissingError(lookup.courseId);
    try {
      const phi = openPhi(lookup.key, sealed, phiAad(event.streamId, event.eventId));
      return { ...event, data: { ...event.data, phi }, phiErased: false };
    } catch (error) {
      if (error instanceof PhiIntegrityError)
        throw new EventDecodeError(event.streamId, event.revision, 'data.phi does not verify');
      throw error;
    }
  }
}
