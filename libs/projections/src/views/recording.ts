/**
 * What the read-model folds know of an event besides its data: where it sits
 * in its stream and when the store recorded it. The projections pass the
 * stored revision; the audit "state as of" route passes the same, so both
 * compute identical views.
 */
export interface EventRecording {
  /** 0-based stream revision of the event. */
  revision: number;
  /** Server clock (UTC ISO) when the event was recorded. */
  recordedAt: string;
}
