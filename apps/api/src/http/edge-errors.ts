/** Refusals of Node's HTTP parser, before Fastify sees a request (written by edge.ts). */
export const CLIENT_ERRORS: Readonly<
  Record<string, readonly [status: number, code: string, detail: string]>
> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not sent in time'],
  HPE_HEADER_OVERFLOW: [431, 'header_fields_too_large', 'the request headers are too large'],
  /** Any other parse error. */
  default: [400, 'malformed_request', 'the request is not valid HTTP/1.1'],
};

/** A recorded route's answer when the access log could not commit (access-log.hook.ts). */
export const ACCESS_LOG_UNAVAILABLE = [
  503,
  'access_log_unavailable',
  'the access could not be recorded; retry',
] as const;

/** A recorded route's answer when PostgreSQL could not commit its access record (DATABASE_URL). */
export const DATABASE_UNAVAILABLE = [
  503,
  'database_unavailable',
  'the shared database is unreachable; retry later',
] as const;
