/**
 * Tools of the hostile-client suite (issue 8): a seeded generator, raw HTTP
 * over a socket (for what fetch will not send: bad URLs, huge headers, slow
 * bodies) and the one check every refusal must pass.
 */
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import type { HttpAnswer } from '../support/ledger-app';
import { checkAnswer } from '../support/openapi-contract';

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/** Parses the first HTTP/1.1 response in `text` (Content-Length bodies only, as the API sends). */
export function parseRawResponse(text: string, closed: boolean): RawAnswer | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  // Bytes, not characters: the body is UTF-8. Anything after it is a further response.
  const rest = Buffer.from(text.slice(end + 4));
  if (rest.length < length) return undefined;
  const body = rest.subarray(0, length).toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, closed };
}

export interface RawConnection {
  socket: net.Socket;
  /** The first response, once complete (the connection may stay open). */
  answer: Promise<RawAnswer>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/** Opens a connection and writes `head` (and nothing more unless the caller writes it). */
export function rawConnection(baseUrl: string, head: string | Buffer): RawConnection {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  let text = '';
  let isClosed = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const parsed = parseRawResponse(text, isClosed);
      if (parsed) resolve(parsed);
    });
    socket.once('close', () => {
      isClosed = true;
      const parsed = parseRawResponse(text, true);
      if (parsed) resolve({ ...parsed, closed: true });
      else reject(new Error(`connection closed without a response (got ${JSON.stringify(text)})`));
    });
    socket.on('error', () => undefined); // a reset ends in 'close' too
  });
  socket.write(head);
  return { socket, answer: answer.then((a) => checkedRaw(head, a)), closed };
}

/**
 * Checks a raw answer against the OpenAPI document: the method and target of
 * the request line when there is one, else it is an unknown route.
 */
function checkedRaw(head: string | Buffer, answer: RawAnswer): RawAnswer {
  const line = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
  // A target in absolute form (`GET http://host/v1/courses`) is routed by its path.
  const target = line?.[2].replace(/^https?:\/\/[^/]*/i, '') ?? '';
  checkAnswer({
    method: line?.[1] ?? 'GET',
    url: target.startsWith('/') ? target : '/(no request line)',
    status: answer.status,
    headers: answer.headers,
    text: answer.body,
  });
  return answer;
}

/** Sends one raw request and waits for its response. */
export async function rawRequest(baseUrl: string, request: string | Buffer): Promise<RawAnswer> {
  const connection = rawConnection(baseUrl, request);
  try {
    return await connection.answer;
  } finally {
    connection.socket.destroy();
  }
}

/** A refusal as the spec wants it: problem+json with a status, a code and nothing of `echo` in it. */
export function expectProblem(
  answer: { status: number; contentType: string | null | undefined; body: unknown },
  status: number,
  code: string,
  echo?: string,
): void {
  const body = (typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body) as Record<
    string,
    unknown
  >;
  expect({ status: answer.status, code: body.code, statusInBody: body.status }).toEqual({
    status,
    code,
    statusInBody: status,
  });
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  if (echo) expect(JSON.stringify(body)).not.toContain(echo);
}

export const fromFetch = (answer: HttpAnswer) => ({
  status: answer.status,
  contentType: answer.headers.get('content-type'),
  body: answer.body,
});

export const fromRaw = (answer: RawAnswer) => ({
  status: answer.status,
  contentType: answer.headers['content-type'],
  body: answer.body,
});

/** Values of every wrong kind, for the seeded fuzz runs. */
export const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  0.5,
  '',
  ' ',
  'x'.repeat(5000),
  '2025-02-30T10:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '2025-01-06T10:00:00+25:00',
  '\u0000',
  '💥',
  '\ud800',
  '<script>',
  '${7*7}',
  '../../etc/passwd',
  [],
  [null],
  Array(100).fill(3),
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  { nested: { deeper: { deepest: [1, { x: 2 }] } } },
  randomUUID(),
];
