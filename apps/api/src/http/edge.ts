/**
 * What the HTTP server settles before a request reaches Nest (issue 8): how
 * long a client may take to send it, which bodies are parsed at all (JSON
 * only, bounded in size and depth), that a token is checked before the body
 * is read, and that every refusal of the server itself (bad URL, malformed
 * request, timeout, oversized headers) is problem+json that repeats nothing
 * of the request.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { TokenVerifier } from '@ipt/auth';
import { InvalidRequest } from '../application/errors';
import { authenticate } from './auth.guard';
import { CLIENT_ERRORS } from './edge-errors';
import { problemBody, type ProblemBody } from './problem';
import { toProblem } from './problem.filter';

/** 1 MiB: the largest command (an assessment with notes) is a few kilobytes. */
export const BODY_LIMIT = 1024 * 1024;
/** No command body nests deeper than 3; 32 leaves room and keeps every walk of it shallow. */
export const MAX_JSON_DEPTH = 32;

export interface EdgeLimits {
  requestTimeoutMs: number;
}

/** Fastify options: timeouts, limits, and problem+json for the refusals Fastify makes itself. */
export function edgeServerOptions(limits: EdgeLimits) {
  return {
    bodyLimit: BODY_LIMIT,
    // Headers and body must arrive within the timeout (Node checks open requests every second).
    requestTimeout: limits.requestTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
    },
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      sendProblem(reply, toProblem(error));
    },
    clientErrorHandler: writeClientError,
  };
}

/** Only `application/json` bodies are parsed; anything else is 415 (form and text bodies included). */
export function parseJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

/**
 * Checks the nesting depth in one pass over the text before parsing it, so no
 * later walk (class-transformer, class-validator, our own) can overflow the
 * stack on a deep body; keys that reach an object's prototype are refused.
 */
export function parseJsonBody(text: string): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new InvalidRequest([
      { field: '', message: `the body nests deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const forbidden = /forbidden/.test((error as Error).message);
    throw new InvalidRequest([
      {
        field: '',
        message: forbidden ? 'unknown property' : 'the body is not valid JSON',
      },
    ]);
  }
}

/** True when arrays and objects nest deeper than `max` (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The versioned API needs a token; health, metrics and the documents do not. */
export function needsToken(request: FastifyRequest): boolean {
  const route = request.routeOptions.url ?? request.url;
  return route === '/v1' || route.startsWith('/v1/');
}

/**
 * Checks the bearer token as soon as the headers are in, before the body is
 * read: a client without a valid token cannot hold a connection by sending a
 * body slowly. The answer closes the connection instead of reading the rest.
 * The guard then checks the route's roles against the caller set here.
 */
export function authenticateBeforeBody(fastify: FastifyInstance, tokens: TokenVerifier): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!needsToken(request)) return done();
    authenticate(request.headers.authorization, tokens).then(
      (caller) => {
        (request as FastifyRequest & { caller?: unknown }).caller = caller;
        done();
      },
      (error: unknown) => {
        void reply.header('connection', 'close');
        done(error as Error);
      },
    );
  });
}

export function sendProblem(
  reply: FastifyReply,
  problem: { body: ProblemBody; headers: Record<string, string> },
): void {
  void reply
    .status(problem.body.status)
    .headers({ ...problem.headers, 'content-type': 'application/problem+json' })
    .send(problem.body);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function writeClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? CLIENT_ERRORS.default;
  const body = JSON.stringify(problemBody(status, code, detail));
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
