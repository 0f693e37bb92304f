/** The documented HTTP API (api.md, audit.md), called with the session's bearer token. */
import { createLedgerClient, type LedgerApiClient } from '@ipt/client';
import type { Session } from './session';

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  /** An unknown route (not a missing course): the server does not have this feature yet. */
  get routeMissing(): boolean {
    return this.problem.status === 404 && this.problem.code !== 'course_not_found';
  }
}

/** Called when the API refuses the token (401): the console signs out. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/**
 * The typed client generated from the OpenAPI document (libs/client): paths,
 * parameters and answers are the document's, so a call the API does not
 * document does not compile.
 */
export function api(session: Session): LedgerApiClient {
  return createLedgerClient({
    baseUrl: location.origin,
    token: session.token,
    headers: { accept: 'application/json' },
    // No cached copies of health data in the browser.
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
}

/** The answer's body, or an ApiError with the problem (401 also signs the console out). */
export async function answerOf<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const p = (error ?? {}) as Partial<Problem>;
  const problem: Problem = {
    status: response.status,
    code: typeof p.code === 'string' ? p.code : `http_${response.status}`,
    title: typeof p.title === 'string' ? p.title : response.statusText,
    detail: typeof p.detail === 'string' ? p.detail : undefined,
  };
  if (response.status === 401) onUnauthenticated();
  throw new ApiError(problem);
}

// ---- Shapes of the answers: the OpenAPI document's, generated -------------

export type {
  AccessLogPage,
  AccessRecord,
  ClinicSummary,
  CoursePage,
  CourseState,
  CourseView,
  Engagement,
  HistoryEvent,
  InstrumentOutcome,
  OutcomePoint,
  RiskFlag,
  CourseHistory as History,
  CourseOutcomes as OutcomesView,
  CourseVerification as Verification,
} from '@ipt/client';
