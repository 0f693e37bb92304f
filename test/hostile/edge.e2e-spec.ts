/**
 * Hostile clients at the HTTP edge (issue 8, items 1, 4, 7 and 8): deep
 * bodies, slow bodies with and without a token, every refusal the server
 * makes itself, and property names of Object.prototype.
 */
import { randomUUID } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, enrollment, session } from '../e2e/course-scenario';
import { expectProblem, fromFetch, fromRaw, rawConnection, rawRequest } from './hostile-support';

/** Put into requests wherever a careless client might put PHI; no answer may repeat it. */
const MARKER = 'MRN-4711-Jane-Doe';

describe('hostile clients at the HTTP edge', () => {
  let app: LedgerApp;
  let clinician: LedgerClient;
  let token: string;

  beforeAll(async () => {
    // A short request timeout, so the slow-body tests end soon.
    app = await startLedgerApp({ env: { REQUEST_TIMEOUT_MS: '1500', LOG_LEVEL: 'info' } });
    token = tokenFor(`clinic-${randomUUID().slice(0, 8)}`, ['clinician', 'auditor']);
    clinician = new LedgerClient(app.baseUrl, token);
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  describe('1. deeply nested JSON', () => {
    it('is a 400 validation_failed on every command route, and no stack trace is logged', async () => {
      const course = await CourseDriver.enroll(clinician);
      const deep = '['.repeat(1500) + ']'.repeat(1500);
      const routes = [
        '/v1/courses',
        course.path('/problem-area'),
        course.path('/sessions'),
        course.path('/missed-sessions'),
        course.path('/homework'),
        course.path('/homework/h-1/submission'),
        course.path('/assessments'),
        course.path(`/risk-flags/${randomUUID()}/resolution`),
        course.path('/withdrawal'),
        course.path('/completion'),
        course.path(`/assessments/${randomUUID()}/correction`),
      ];
      for (const route of routes) {
        const answer = await clinician.post(route, `{"reason":${deep}}`);
        expectProblem(fromFetch(answer), 400, 'validation_failed');
        // A deep object, not only a deep array.
        const objects = await clinician.post(route, '{"a":'.repeat(2000) + '1' + '}'.repeat(2000));
        expectProblem(fromFetch(objects), 400, 'validation_failed');
      }
      // Depth inside strings does not count: a text full of brackets is only text.
      const text = await course.attempt('/problem-area', {
        area: 'grief',
        reason: '['.repeat(400),
      });
      expect(text.status).toBe(200);
      expect(app.output()).not.toMatch(/RangeError|Maximum call stack|\n\s+at /);
      expect(app.output()).not.toContain('"level":50');
    });
  });

  describe('4. slow bodies', () => {
    it('without a token: answered 401 as soon as the headers are in, and the connection closes', async () => {
      const connections = Array.from({ length: 50 }, () =>
        rawConnection(
          app.baseUrl,
          'POST /v1/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Content-Length: 100000\r\n\r\n{"courseId":',
        ),
      );
      for (const connection of connections) {
        const answer = await connection.answer;
        expectProblem(fromRaw(answer), 401, 'unauthorized');
        expect(answer.headers['www-authenticate']).toBe('Bearer');
        // The server closes it without waiting for the rest of the body (or the request timeout).
        await connection.closed;
      }
    });

    it('with a token: 408 request_timeout once the request timeout passes, and the connection closes', async () => {
      const connection = rawConnection(
        app.baseUrl,
        `POST /v1/courses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"patientRef":"' +
          MARKER,
      );
      // Keep trickling, as a slowloris client would, until the server gives up on us.
      const trickle = setInterval(() => connection.socket.write(' '), 200);
      try {
        const answer = await connection.answer;
        expectProblem(fromRaw(answer), 408, 'request_timeout', MARKER);
        await connection.closed;
      } finally {
        clearInterval(trickle);
      }
    });

    it('headers sent slowly end in 408 too', async () => {
      const connection = rawConnection(app.baseUrl, 'GET /v1/courses HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => connection.socket.write('X-A: b\r\n'), 200);
      try {
        expectProblem(fromRaw(await connection.answer), 408, 'request_timeout');
        await connection.closed;
      } finally {
        clearInterval(trickle);
      }
    });
  });

  describe('7. refusals of the server itself', () => {
    const auth = () => `Authorization: Bearer ${token}\r\n`;

    it('a malformed URL is 400 malformed_url, without the URL', async () => {
      const answer = await rawRequest(
        app.baseUrl,
        `GET /v1/courses/%E0%A4%A${MARKER} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`,
      );
      expectProblem(fromRaw(answer), 400, 'malformed_url', MARKER);
    });

    it('an unknown route is 404 not_found, without the path', async () => {
      const answer = await clinician.get(`/v1/${MARKER}/x`);
      expectProblem(fromFetch(answer), 404, 'not_found', MARKER);
      const outside = await clinician.get(`/${MARKER}`);
      expectProblem(fromFetch(outside), 404, 'not_found', MARKER);
    });

    it('a method a route does not take is problem+json', async () => {
      const answer = await clinician.request('DELETE', `/v1/courses/${randomUUID()}`);
      expect([404, 405]).toContain(answer.status);
      expectProblem(
        fromFetch(answer),
        answer.status,
        answer.status === 405 ? 'method_not_allowed' : 'not_found',
      );
    });

    it('a body over 1 MiB is 413 payload_too_large', async () => {
      const answer = await clinician.post(
        '/v1/courses',
        JSON.stringify({ ...enrollment(), patientRef: MARKER.repeat(80_000) }),
      );
      expectProblem(fromFetch(answer), 413, 'payload_too_large', MARKER);
    });

    it('a path segment over the limit is 414 uri_too_long, without the URL', async () => {
      const answer = await clinician.get(`/v1/courses/${MARKER.repeat(200)}`);
      expectProblem(fromFetch(answer), 414, 'uri_too_long', MARKER);
    });

    it('form-encoded, text/plain and other bodies are 415 unsupported_media_type, never parsed', async () => {
      const course = await CourseDriver.enroll(clinician);
      for (const [type, body] of [
        [
          'application/x-www-form-urlencoded',
          `sessionNumber=1&heldAt=2025-01-06T10:00:00Z&x=${MARKER}`,
        ],
        ['text/plain', JSON.stringify(session(1))],
        ['application/xml', '<session/>'],
        ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
      ]) {
        const answer = await course.attempt('/sessions', body, { 'content-type': type });
        expectProblem(fromFetch(answer), 415, 'unsupported_media_type', MARKER);
      }
      const history = await clinician.get(course.path('/history'));
      expect(history.body.events).toHaveLength(1);
    });

    it('headers over the limit are 431 header_fields_too_large', async () => {
      const answer = await rawRequest(
        app.baseUrl,
        `GET /v1/courses HTTP/1.1\r\nHost: x\r\n${auth()}X-Big: ${MARKER.repeat(3000)}\r\n\r\n`,
      );
      expectProblem(fromRaw(answer), 431, 'header_fields_too_large', MARKER);
    });

    it('a request that is not HTTP is 400 malformed_request', async () => {
      const answer = await rawRequest(app.baseUrl, `GARBAGE ${MARKER}\r\n\r\n`);
      expectProblem(fromRaw(answer), 400, 'malformed_request', MARKER);
    });

    it('unknown body properties and query parameters are refused without their names', async () => {
      const course = await CourseDriver.enroll(clinician);
      const answer = await course.attempt('/sessions', { ...session(1), [MARKER]: 1 });
      expectProblem(fromFetch(answer), 400, 'validation_failed', MARKER);
      expect(answer.body.errors).toEqual([{ field: '', message: 'has an unknown property' }]);
      const nested = await clinician.post('/v1/courses', {
        ...enrollment(),
        screening: { ...enrollment().screening, [MARKER]: true },
      });
      expectProblem(fromFetch(nested), 400, 'validation_failed', MARKER);
      expect(nested.body.errors).toEqual([
        { field: 'screening', message: 'has an unknown property' },
      ]);
      const query = await clinician.get(`/v1/courses?${MARKER}=1`);
      expectProblem(fromFetch(query), 400, 'validation_failed', MARKER);
      const state = await clinician.get(course.path(`/state?revision=0&${MARKER}=1`));
      expectProblem(fromFetch(state), 400, 'validation_failed', MARKER);
    });
  });

  describe('8. property names of Object.prototype', () => {
    it('are unknown properties like any other, at the top and nested', async () => {
      const course = await CourseDriver.enroll(clinician);
      for (const name of [
        'toString',
        'constructor',
        'valueOf',
        'hasOwnProperty',
        'isPrototypeOf',
      ]) {
        const top = await course.attempt('/sessions', { ...session(1), [name]: 'x' });
        expectProblem(fromFetch(top), 400, 'validation_failed');
        expect(top.body.errors).toEqual([{ field: '', message: 'has an unknown property' }]);
        const nested = await clinician.post('/v1/courses', {
          ...enrollment(),
          screening: { ...enrollment().screening, [name]: false },
        });
        expectProblem(fromFetch(nested), 400, 'validation_failed');
      }
      // __proto__ never becomes a prototype: refused as an unknown property.
      const proto = await course.attempt(
        '/sessions',
        `{"sessionNumber":1,"heldAt":"2025-01-06T10:00:00Z","durationMinutes":50,"modality":"video","__proto__":{"x":1}}`,
      );
      expectProblem(fromFetch(proto), 400, 'validation_failed');
      expect(proto.body.errors).toEqual([{ field: '', message: 'unknown property' }]);
      expect((await clinician.get(course.path('/history'))).body.events).toHaveLength(1);
    });
  });
});
