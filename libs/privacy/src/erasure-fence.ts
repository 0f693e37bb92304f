/**
 * The fence (privacy.md): every course with a `PersonalDataErased` in the log
 * has no live key. Run at every start before anything opens PHI, it finishes
 * an erasure interrupted between the append and the key's destruction, and it
 * destroys again any key that a restored (older) copy of the key store
 * brought back: its position is kept in the key store itself, so an old copy
 * carries an old position and the fence reads the erasures since then again.
 */
import { COURSE_STREAM_PREFIX, courseIdOf } from '@ipt/course';
import type { EventStore } from '@ipt/event-store';
import type { PhiVault } from './phi-vault';

const PAGE = 1000;

export interface FenceReport {
  /** Erasure events read. */
  erasures: number;
  /** Of those, how many still had a live key (finished now). */
  finished: number;
}

export async function holdErasureFence(store: EventStore, vault: PhiVault): Promise<FenceReport> {
  const report: FenceReport = { erasures: 0, finished: 0 };
  let after = await vault.keys.fencePosition();
  for (;;) {
    const page = await store.readAll({
      ...(after === undefined ? {} : { fromPosition: after }),
      maxCount: PAGE,
      streamPrefixes: [COURSE_STREAM_PREFIX],
    });
    const fresh = after === undefined ? page : page.filter((e) => e.position > after!);
    if (fresh.length === 0) break;
    for (const event of fresh) {
      if (event.type !== 'PersonalDataErased') continue;
      report.erasures += 1;
      const courseId = courseIdOf(event);
      const before = await vault.keys.get(courseId);
      const erasedAt =
        typeof event.data.erasedAt === 'string' ? event.data.erasedAt : new Date().toISOString();
      await vault.erase(courseId, erasedAt);
      if (before.state !== 'erased') report.finished += 1;
    }
    after = fresh[fresh.length - 1].position;
    await vault.keys.setFencePosition(after);
    if (page.length < PAGE) break;
  }
  return report;
}
