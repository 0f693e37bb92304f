/** Reading a store subscription in tests, message by message, never waiting forever. */
import type { RecordedEvent, SubscriptionMessage } from '@ipt/event-store';

export const MESSAGE_TIMEOUT_MS = 10_000;

export async function withTimeout<T>(promise: Promise<T>, ms = MESSAGE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no subscription message within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function nextMessage(
  messages: AsyncIterator<SubscriptionMessage>,
): Promise<SubscriptionMessage> {
  const next = await withTimeout(messages.next());
  if (next.done) throw new Error('the subscription ended');
  return next.value;
}

export async function nextEvent(
  messages: AsyncIterator<SubscriptionMessage>,
): Promise<RecordedEvent> {
  const message = await nextMessage(messages);
  if (message.kind !== 'event') throw new Error(`expected an event, got ${message.kind}`);
  return message.event;
}

/** The events before `caught_up`. */
export async function eventsUntilCaughtUp(
  messages: AsyncIterator<SubscriptionMessage>,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const message = await nextMessage(messages);
    if (message.kind === 'caught_up') return events;
    events.push(message.event);
  }
}
