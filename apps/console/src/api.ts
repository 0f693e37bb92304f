/** The documented HTTP API (api.md, audit.md), called with the session's bearer token. */
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

export async function apiGet<T>(
  session: Session,
  path: string,
  query: Record<string, string | number | undefined> = {},
): Promise<T> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const url = params.size > 0 ? `${path}?${params}` : path;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${session.token}`, accept: 'application/json' },
    // No cached copies of health data in the browser.
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    const p = (body ?? {}) as Partial<Problem>;
    const problem: Problem = {
      status: response.status,
      code: typeof p.code === 'string' ? p.code : `http_${response.status}`,
      title: typeof p.title === 'string' ? p.title : response.statusText,
      detail: typeof p.detail === 'string' ? p.detail : undefined,
    };
    if (response.status === 401) onUnauthenticated();
    throw new ApiError(problem);
  }
  return body as T;
}

// ---- Shapes of the answers (domain.md read models, audit.md) -------------

export interface Engagement {
  patientMissedSinceLastSession: number;
  daysSinceLastContact: number;
  reasons: string[];
  atRisk: boolean;
}

export interface CourseView {
  courseId: string;
  clinicId: string;
  subjectId: string;
  patientRef?: string;
  therapistId: string;
  status: 'active' | 'completed' | 'withdrawn';
  plannedSessions: number;
  sessionsHeld: number;
  sessionsMissed: number;
  attendanceRate: number | null;
  phase: 'initial' | 'middle' | 'termination';
  problemArea: string | null;
  homeworkAssigned: number;
  homeworkSubmitted: number;
  homeworkCompletionRate: number | null;
  openRiskFlags: number;
  enrolledAt: string;
  firstSessionAt: string | null;
  lastSessionAt: string | null;
  completedAt: string | null;
  withdrawnAt: string | null;
  withdrawalReason: string | null;
  weeksInTreatment: number;
  protocolComplete: boolean;
  earlyTermination: boolean;
  dropout: boolean;
  revision: number;
  /** Added by the engagement feature (domain.md); absent on servers without it. */
  engagement?: Engagement | null;
}

export interface CoursePage {
  items: CourseView[];
  nextCursor: string | null;
}

export interface OutcomePoint {
  assessmentId: string;
  score: number;
  severity: string;
  administeredAt: string;
}

export interface InstrumentOutcome {
  baseline: OutcomePoint;
  endpoint: OutcomePoint | null;
  followUp: OutcomePoint | null;
  change: number | null;
  percentChange: number | null;
  response: boolean | null;
  remission: boolean | null;
  reliableImprovement: boolean | null;
  reliableDeterioration: boolean | null;
  caseAtBaseline: boolean;
  recovery: boolean | null;
  reliableRecovery: boolean | null;
}

export interface RiskFlag {
  flagId: string;
  assessmentId: string;
  instrument: string;
  item: number;
  score: number;
  raisedAt: string;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
  disposition: string | null;
}

export interface OutcomesView {
  courseId: string;
  revision: number;
  instruments: Record<string, InstrumentOutcome>;
  riskFlags: RiskFlag[];
}

export interface HistoryEvent {
  eventId: string;
  type: string;
  revision: number;
  position: number;
  recordedAt: string;
  data: Record<string, unknown>;
  metadata: {
    actor?: { id: string; role: string };
    [key: string]: unknown;
  };
}

export interface History {
  courseId: string;
  events: HistoryEvent[];
}

export interface CourseState {
  courseId: string;
  revision: number;
  course: CourseView;
  outcomes: OutcomesView;
}

export interface Verification {
  courseId: string;
  valid: boolean;
  events: number;
  brokenAtRevision: number | null;
  checkpoint: { events: { size: number; root: string } } | null;
  included: boolean;
  reason?: string | null;
  pending?: number;
}

export interface AccessRecord {
  recordId: string;
  at: string;
  actor: { id: string; role: string };
  clinicId: string;
  method: string;
  route: string;
  courseId: string | null;
  status: number;
  requestId: string;
  leafIndex?: number;
}

export interface AccessLogPage {
  items: AccessRecord[];
  nextCursor: string | null;
}

export interface ClinicSummary {
  clinicId: string;
  courses: { total: number; active: number; completed: number; withdrawn: number };
  protocolCompletionRate: number | null;
  dropoutRate: number | null;
  atRisk?: number;
  instruments: Record<
    string,
    {
      responseRate: number | null;
      remissionRate: number | null;
      reliableImprovementRate: number | null;
    }
  >;
}
