/**
 * The typed client of the IPT Course Ledger API: `schema.d.ts` is generated
 * from the OpenAPI document by openapi-typescript (`npm run client:generate`;
 * `npm test` fails when it is not current), and requests go through
 * openapi-fetch, so a path, parameter, body or answer the document does not
 * state does not compile.
 *
 *   const api = createLedgerClient({ baseUrl, token });
 *   const { data, error, response } = await api.GET('/v1/courses/{courseId}', {
 *     params: { path: { courseId } },
 *   });
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type CommandAnswer = Schemas['CommandAnswer'];
export type AssessmentAnswer = Schemas['AssessmentAnswer'];
export type CourseView = Schemas['CourseView'];
export type Engagement = Schemas['Engagement'];
export type CoursePage = Schemas['CoursePage'];
export type CourseOutcomes = Schemas['CourseOutcomes'];
export type InstrumentOutcome = Schemas['InstrumentOutcome'];
export type OutcomePoint = Schemas['OutcomePoint'];
export type RiskFlag = Schemas['RiskFlag'];
export type ClinicSummary = Schemas['ClinicSummary'];
export type CourseHistory = Schemas['CourseHistory'];
export type HistoryEvent = Schemas['HistoryEvent'];
export type CourseState = Schemas['CourseState'];
export type CourseVerification = Schemas['CourseVerification'];
export type AccessRecord = Schemas['AccessRecord'];
export type AccessLogPage = Schemas['AccessLogPage'];

export type LedgerApiClient = Client<paths>;

export interface LedgerClientOptions extends ClientOptions {
  /** The bearer token, or a function asked before each request (none: no Authorization). */
  token?: string | (() => string | undefined);
}

/** An openapi-fetch client of the API that sends the bearer token with every request. */
export function createLedgerClient(options: LedgerClientOptions = {}): LedgerApiClient {
  const { token, ...clientOptions } = options;
  const client = createClient<paths>(clientOptions);
  client.use({
    onRequest({ request }) {
      const value = typeof token === 'function' ? token() : token;
      if (value) request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  });
  return client;
}
