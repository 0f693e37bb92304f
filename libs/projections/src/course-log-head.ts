import { COURSE_STREAM_PREFIX } from '@ipt/course';
import type { EventStore } from '@ipt/event-store';

/**
 * Position of the newest course event: what a projection's checkpoint reaches
 * when it has caught up (events of other streams never move a checkpoint).
 */
export async function courseLogHead(store: EventStore): Promise<bigint | null> {
  const [last] = await store.readAll({
    direction: 'backwards',
    maxCount: 1,
    streamPrefixes: [COURSE_STREAM_PREFIX],
  });
  return last?.position ?? null;
}
