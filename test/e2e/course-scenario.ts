/**
 * Builders for end-to-end scenarios: request bodies with fixed clinical
 * dates (in the past, so never "in the future") and a course helper that
 * sends commands and checks each was accepted.
 */
import { randomUUID } from 'node:crypto';
import type { HttpAnswer, LedgerClient } from '../support/ledger-app';

export const ENROLLED_AT = '2025-01-06T09:00:00.000Z';
const DAY = 24 * 3600 * 1000;

/** The clinical time `days` after enrollment, at `hour` UTC. */
export function day(days: number, hour = 10): string {
  return new Date(Date.parse(ENROLLED_AT) + days * DAY + (hour - 9) * 3600 * 1000).toISOString();
}

export const NEGATIVE_SCREEN = {
  psychosis: false,
  bipolarDisorder: false,
  primarySubstanceUse: false,
  acuteSuicideRisk: false,
};

export function enrollment(overrides: Record<string, unknown> = {}) {
  return {
    courseId: randomUUID(),
    patientRef: `MRN-${randomUUID().slice(0, 8)}`,
    therapistId: 'therapist-1',
    plannedSessions: 12,
    enrolledAt: ENROLLED_AT,
    screening: NEGATIVE_SCREEN,
    ...overrides,
  };
}

export function session(sessionNumber: number, overrides: Record<string, unknown> = {}) {
  return {
    sessionNumber,
    heldAt: day(7 * (sessionNumber - 1)),
    durationMinutes: 50,
    modality: 'in_person',
    ...overrides,
  };
}

export function homework(homeworkId: string, overrides: Record<string, unknown> = {}) {
  return {
    homeworkId,
    sessionNumber: 1,
    dueAt: day(7),
    description: 'Call a friend this week',
    ...overrides,
  };
}

export function assessment(
  instrument: string,
  items: (number | null)[],
  overrides: Record<string, unknown> = {},
) {
  return {
    assessmentId: randomUUID(),
    instrument,
    timepoint: 'session',
    administeredAt: day(0, 9),
    items,
    ...overrides,
  };
}

export function expectAccepted(answer: HttpAnswer, what: string): void {
  if (answer.status !== 200 && answer.status !== 201) {
    throw new Error(`${what} was refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** One course driven through the API by a clinician. */
export class CourseDriver {
  revision = 0;

  constructor(
    readonly api: LedgerClient,
    readonly courseId: string,
  ) {}

  static async enroll(
    api: LedgerClient,
    overrides: Record<string, unknown> = {},
  ): Promise<CourseDriver> {
    const body = enrollment(overrides);
    const answer = await api.post('/v1/courses', body);
    expectAccepted(answer, 'enrollment');
    return new CourseDriver(api, body.courseId as string);
  }

  path(suffix = ''): string {
    return `/v1/courses/${this.courseId}${suffix}`;
  }

  /** Sends a command and expects it accepted. */
  async send(suffix: string, body: unknown): Promise<HttpAnswer> {
    const answer = await this.api.post(this.path(suffix), body);
    expectAccepted(answer, `POST ${suffix}`);
    this.revision = answer.body.revision;
    return answer;
  }

  /** Sends a command as it is, whatever the answer. */
  attempt(
    suffix: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    return this.api.post(this.path(suffix), body, headers);
  }

  async holdSessions(from: number, to: number): Promise<void> {
    for (let n = from; n <= to; n++) await this.send('/sessions', session(n));
  }

  /** The course view once the projection reflects the last command. */
  async view(suffix = ''): Promise<any> {
    const answer = await this.api.get(this.path(suffix), {
      'x-min-revision': String(this.revision),
    });
    if (answer.status !== 200)
      throw new Error(`GET ${suffix}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}
