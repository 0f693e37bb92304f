/**
 * A span per HTTP request: opened when the request arrives (continuing the
 * caller's `traceparent`, if any), ended when the answer is sent, named by the
 * route template so that no URL value (a clinic-chosen homework id) reaches it.
 * Fastify's hooks own the span's life; the interceptor makes it the active
 * span around the handler (Nest runs handlers in the interceptor's async context).
 */
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
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

@Injectable()
export class RequestSpanInterceptor implements NestInterceptor {
  intercept(executionContext: ExecutionContext, next: CallHandler): Observable<unknown> {
    const span = requestSpans.get(executionContext.switchToHttp().getRequest<FastifyRequest>());
    if (!span) return next.handle();
    return context.with(trace.setSpan(context.active(), span), () => next.handle());
  }
}
