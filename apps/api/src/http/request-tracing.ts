/**
 * A span per HTTP request: opened when the request arrives (continuing the
 * caller's `traceparent`, if any), ended when the answer is sent, named by the
 * route template so that no URL value (a clinic-chosen homework id) reaches it.
 * Fastify's hooks own the span's life, and the last hook before the handler
 * makes it the active span: Fastify calls the handler from that hook's `done`,
 * so the handler (and everything it awaits) runs in its context. A hook and
 * not a Nest interceptor: with no interceptor Nest skips its rxjs pipeline and
 * async-resource binding, about a tenth of a request's CPU (issue 14).
 */
import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SpanKind, SpanStatusCode, context, trace, tracer, type Span } from '@ipt/telemetry';

const requestSpans = new WeakMap<FastifyRequest, Span>();

export function traceRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      },
      parent,
    );
    requestSpans.set(request, span);
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const span = requestSpans.get(request);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = requestSpans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      requestSpans.delete(request);
    }
    done();
  });
}
