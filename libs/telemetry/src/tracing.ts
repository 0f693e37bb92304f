/**
 * Traces of the write and read paths (OpenTelemetry API only: without an SDK
 * started every call here is a no-op). Span attributes carry ids, names,
 * counts and revisions, never PHI: no patientRef, no free text, no request body.
 *
 * The trace context travels with each event: `traceparent` (and `tracestate`)
 * in the event metadata, so the projector and the relay continue the
 * command's trace, and the relay puts its produce span's context into the
 * CloudEvent for the consumers.
 */
import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

export { SpanKind, SpanStatusCode, context, trace, type Span, type Context };

export const tracer = () => trace.getTracer('ipt-course-ledger');

/** Runs `fn` in a new active span; records a thrown error on it and ends it either way. */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes, links: options.links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks a span failed with the error's class only: messages may repeat request content. */
export function failed(span: Span, error: unknown): void {
  const name = error instanceof Error ? error.name : 'Error';
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
  span.setAttribute('error.type', name);
}

export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** The W3C trace context of `ctx` (the active one by default); empty when nothing traces. */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const out: TraceCarrier = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

/** The context an event's metadata (or headers) carries; undefined when it carries none. */
export function contextOf(carrier: Record<string, unknown>): Context | undefined {
  if (typeof carrier.traceparent !== 'string') return undefined;
  const fields: Record<string, string> = { traceparent: carrier.traceparent };
  if (typeof carrier.tracestate === 'string') fields.tracestate = carrier.tracestate;
  const ctx = propagation.extract(context.active(), fields);
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

/** Links to the traces of a batch's events, bounded: a batch may hold thousands. */
export function linksOf(carriers: Iterable<Record<string, unknown>>, max = 64): Link[] {
  const links: Link[] = [];
  for (const carrier of carriers) {
    if (links.length >= max) break;
    const ctx = contextOf(carrier);
    const spanContext = ctx && trace.getSpanContext(ctx);
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}
