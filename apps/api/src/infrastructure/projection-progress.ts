/**
 * The projections' progress, told to whoever waits on it (X-Min-Revision
 * reads): the in-process projection runners report each committed batch, so
 * a waiting read is woken by the write it waits for instead of polling.
 */
import type { RecordedEvent } from '@ipt/event-store';

export type ProgressListener = (events: readonly RecordedEvent[]) => void;

export class ProjectionProgress {
  private readonly listeners = new Set<ProgressListener>();

  /** Called by the projection runners after each committed batch. */
  applied(events: readonly RecordedEvent[]): void {
    for (const listener of this.listeners) listener(events);
  }

  subscribe(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
