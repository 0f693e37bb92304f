/**
 * `decide(command, state, ctx)`: the events a command causes, or a
 * CourseRuleViolation. Pure: the clock and new ids come from `ctx`.
 *
 * Order of checks (docs/domain-rules.md, "Which answer comes first"):
 *   1. everything that needs no state (`commandProblems`, command-checks.ts):
 *      types, ranges, enumerations, lengths, unparsable times, rule 3, rule 9
 *      item ranges, rule 14 (future times); all such problems are reported
 *      together as one `validation_failed`;
 *   2. rule 1 (course_not_found / course_exists);
 *   3. course_closed, when the course is closed and that refuses the command;
 *   4. the remaining rules of the command, lowest number first.
 */
import type {
  AssignHomework,
  CompleteCourse,
  CorrectAssessment,
  CourseCommand,
  EraseCourse,
  CourseCommandType,
  DecisionContext,
  EnrollPatient,
  RecordAssessment,
  RecordSessionHeld,
  RecordSessionMissed,
  ResolveRiskFlag,
  SelectProblemArea,
  SubmitHomework,
  WithdrawPatient,
} from './commands';
import { DEFAULT_PLANNED_SESSIONS, commandProblems } from './command-checks';
import { CourseRuleViolation, type CourseRuleCode } from './errors';
import type { CourseEvent, RiskFlagRaised } from './events';
import type { CourseState, EnrolledCourse } from './evolve';
import { instrumentDefinition, riskItemScore, score, validateItems } from './instruments';
import { DAY_MS, parseInstant, toIsoInstant } from './time';
import {
  SCREENING_CRITERIA,
  type Instrument,
  type ScreeningCriterion,
  type Severity,
} from './vocabulary';

/** Rule 9: a baseline form may be administered up to 30 days before enrollment. [D] */
export const ASSESSMENT_LOOKBACK_MS = 30 * DAY_MS;

/** A time that `commandProblems` has already found parsable. */
const instantOf = (value: string): number => parseInstant(value) ?? NaN;

/** Rule 1: every command but enrollment needs an existing course. */
function existing(state: CourseState, courseId: string): EnrolledCourse {
  // A course of another clinic never reaches here: the handler answers "not found" first.
  if (!state || state.courseId !== courseId) throw CourseRuleViolation.notFound();
  // privacy.md: an erased course refuses every command, before course_closed.
  if (state.erased) throw CourseRuleViolation.erased();
  return state;
}

/** Rule 4: sessions, missed sessions, homework, problem areas and terminal events need an active course. */
function refuseIfClosed(course: EnrolledCourse): void {
  if (course.status !== 'active') {
    throw CourseRuleViolation.conflict('course_closed', 4, `the course is ${course.status}`);
  }
}

const timeOutOfOrder = (rule: number, message: string): CourseRuleViolation =>
  CourseRuleViolation.conflict('time_out_of_order', rule, message);

const lastHeldAt = (course: EnrolledCourse): number | null => {
  const last = course.sessions[course.sessions.length - 1];
  return last ? (parseInstant(last.heldAt) ?? null) : null;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function decide(
  command: CourseCommand,
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  // Commands come from parsed JSON: guard the shape before trusting the types.
  if (!isObject(command) || !isObject(command.data)) {
    throw CourseRuleViolation.validation([{ field: '', message: 'must be an object' }]);
  }
  // Step 1 of the order above: every stateless problem at once.
  const problems = commandProblems(command, ctx.now);
  if (problems.length > 0) throw CourseRuleViolation.validation(problems);
  switch (command.type) {
    case 'EnrollPatient':
      return enrollPatient(command.data, state, ctx);
    case 'SelectProblemArea':
      return selectProblemArea(command.data, state, ctx);
    case 'RecordSessionHeld':
      return recordSessionHeld(command.data, state, ctx);
    case 'RecordSessionMissed':
      return recordSessionMissed(command.data, state, ctx);
    case 'AssignHomework':
      return assignHomework(command.data, state, ctx);
    case 'SubmitHomework':
      return submitHomework(command.data, state, ctx);
    case 'RecordAssessment':
      return recordAssessment(command.data, state, ctx);
    case 'ResolveRiskFlag':
      return resolveRiskFlag(command.data, state, ctx);
    case 'WithdrawPatient':
      return withdrawPatient(command.data, state, ctx);
    case 'CompleteCourse':
      return completeCourse(command.data, state, ctx);
    case 'CorrectAssessment':
      return correctAssessment(command.data, state, ctx);
    case 'EraseCourse':
      return eraseCourse(command.data, state, ctx);
    default: {
      // A new command type does not compile until it is handled above; at run
      // time the type comes from parsed JSON and may be anything.
      const unhandled: never = command;
      void unhandled;
      throw CourseRuleViolation.validation([{ field: 'type', message: 'unknown command' }]);
    }
  }
}

function enrollPatient(
  d: EnrollPatient['data'],
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  const plannedSessions = d.plannedSessions ?? DEFAULT_PLANNED_SESSIONS; // rule 3
  const enrolledAt = instantOf(d.enrolledAt);

  if (state)
    throw CourseRuleViolation.conflict('course_exists', 1, 'the course is already enrolled');

  // Rule 2.
  const screening = {
    psychosis: d.screening.psychosis,
    bipolarDisorder: d.screening.bipolarDisorder,
    primarySubstanceUse: d.screening.primarySubstanceUse,
    acuteSuicideRisk: d.screening.acuteSuicideRisk,
  };
  const positiveCriteria: ScreeningCriterion[] = SCREENING_CRITERIA.filter((c) => screening[c]);
  const overrideReason = d.override?.reason;
  if (positiveCriteria.length > 0 && overrideReason === undefined) {
    throw CourseRuleViolation.ineligible(positiveCriteria);
  }
  const screenOverridden = positiveCriteria.length > 0;

  return [
    {
      type: 'PatientEnrolled',
      data: {
        courseId: d.courseId,
        subjectId: ctx.newId(),
        therapistId: d.therapistId,
        plannedSessions,
        enrolledAt: toIsoInstant(enrolledAt),
        screening,
        positiveCriteria,
        screenOverridden,
        // An override of a negative screen overrides nothing, so its reason is not kept. [D]
        phi: screenOverridden
          ? { patientRef: d.patientRef, overrideReason }
          : { patientRef: d.patientRef },
      },
    },
  ];
}

function selectProblemArea(
  d: SelectProblemArea['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 7.
  if (course.problemArea === d.area) {
    throw CourseRuleViolation.conflict(
      'problem_area_unchanged',
      7,
      'that problem area is already selected',
    );
  }
  const reason = d.reason?.trim() ? d.reason : undefined;
  if (course.problemArea !== null && reason === undefined) {
    throw CourseRuleViolation.conflict(
      'reason_required',
      7,
      'changing the problem area needs a reason',
    );
  }
  return [
    {
      type: 'ProblemAreaSelected',
      data: {
        courseId: course.courseId,
        area: d.area,
        previousArea: course.problemArea,
        phi: reason === undefined ? {} : { reason },
      },
    },
  ];
}

function recordSessionHeld(
  d: RecordSessionHeld['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const heldAt = instantOf(d.heldAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 5. The limit is checked first: no session number could make that command valid.
  const held = course.sessions.length;
  if (held >= course.plannedSessions) {
    throw CourseRuleViolation.conflict(
      'session_limit_reached',
      5,
      'all planned sessions have been held',
    );
  }
  if (d.sessionNumber !== held + 1) {
    throw CourseRuleViolation.conflict(
      'session_out_of_order',
      5,
      'the session number must be the next one',
    );
  }
  const previous = lastHeldAt(course);
  if (
    heldAt < (parseInstant(course.enrolledAt) ?? -Infinity) ||
    (previous !== null && heldAt <= previous)
  ) {
    throw timeOutOfOrder(
      5,
      'a session must be held after enrollment and after the previous session',
    );
  }
  return [
    {
      type: 'SessionHeld',
      data: {
        courseId: course.courseId,
        sessionNumber: d.sessionNumber,
        heldAt: toIsoInstant(heldAt),
        durationMinutes: d.durationMinutes,
        modality: d.modality,
      },
    },
  ];
}

function recordSessionMissed(
  d: RecordSessionMissed['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const scheduledAt = instantOf(d.scheduledAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 6.
  if (scheduledAt < (parseInstant(course.enrolledAt) ?? -Infinity)) {
    throw timeOutOfOrder(6, 'a missed session must be scheduled after enrollment');
  }
  return [
    {
      type: 'SessionMissed',
      data: { courseId: course.courseId, scheduledAt: toIsoInstant(scheduledAt), kind: d.kind },
    },
  ];
}

function assignHomework(
  d: AssignHomework['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const dueAt = instantOf(d.dueAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 8.
  if (course.homework.some((h) => h.homeworkId === d.homeworkId)) {
    throw CourseRuleViolation.conflict(
      'homework_exists',
      8,
      'that homework id is already used in this course',
    );
  }
  if (d.sessionNumber > course.sessions.length) {
    throw CourseRuleViolation.conflict(
      'session_not_held',
      8,
      'homework must be assigned in a held session',
    );
  }
  return [
    {
      type: 'HomeworkAssigned',
      data: {
        courseId: course.courseId,
        homeworkId: d.homeworkId,
        sessionNumber: d.sessionNumber,
        dueAt: toIsoInstant(dueAt),
        phi: { description: d.description },
      },
    },
  ];
}

function submitHomework(
  d: SubmitHomework['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const submittedAt = instantOf(d.submittedAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 8.
  const homework = course.homework.find((h) => h.homeworkId === d.homeworkId);
  if (!homework)
    throw CourseRuleViolation.conflict('homework_unknown', 8, 'no such homework in this course');
  if (homework.submitted) {
    throw CourseRuleViolation.conflict(
      'homework_already_submitted',
      8,
      'the homework was already submitted',
    );
  }
  const assignedIn = course.sessions[homework.sessionNumber - 1];
  if (assignedIn && submittedAt < (parseInstant(assignedIn.heldAt) ?? -Infinity)) {
    throw timeOutOfOrder(8, 'homework cannot be submitted before the session that assigned it');
  }
  return [
    {
      type: 'HomeworkSubmitted',
      data: {
        courseId: course.courseId,
        homeworkId: d.homeworkId,
        submittedAt: toIsoInstant(submittedAt),
      },
    },
  ];
}

/** Rule 10 / 17: the flag raised by a form's risk item, if any. */
function riskFlagFor(
  course: EnrolledCourse,
  assessmentId: string,
  instrument: Instrument,
  items: readonly (number | null)[],
  ctx: DecisionContext,
): RiskFlagRaised[] {
  const risk = riskItemScore(instrument, items);
  if (!risk) return [];
  return [
    {
      type: 'RiskFlagRaised',
      data: {
        courseId: course.courseId,
        flagId: ctx.newId(),
        assessmentId,
        instrument,
        item: risk.item,
        score: risk.score,
        raisedAt: ctx.now.toISOString(),
      },
    },
  ];
}

function recordAssessment(
  d: RecordAssessment['data'],
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  const administeredAt = instantOf(d.administeredAt);

  const course = existing(state, d.courseId);
  // Rule 4: after closing only follow-up forms; a follow-up needs a closed course.
  if (d.timepoint !== 'follow_up') refuseIfClosed(course);
  else if (course.status === 'active') {
    throw CourseRuleViolation.conflict(
      'follow_up_requires_closed_course',
      4,
      'a follow-up assessment needs a completed or withdrawn course',
    );
  }

  // Rule 9.
  if (course.assessments.some((a) => a.assessmentId === d.assessmentId)) {
    throw CourseRuleViolation.conflict(
      'assessment_exists',
      9,
      'that assessment id is already used in this course',
    );
  }
  if (administeredAt < (parseInstant(course.enrolledAt) ?? -Infinity) - ASSESSMENT_LOOKBACK_MS) {
    throw timeOutOfOrder(9, 'an assessment may be at most 30 days older than the enrollment');
  }

  const { total, severity } = score(d.instrument, d.items);
  return [
    {
      type: 'AssessmentRecorded',
      data: {
        courseId: course.courseId,
        assessmentId: d.assessmentId,
        instrument: d.instrument,
        timepoint: d.timepoint,
        administeredAt: toIsoInstant(administeredAt),
        items: [...d.items],
        total,
        severity,
        scoringScheme: instrumentDefinition(d.instrument).scoringScheme,
      },
    },
    ...riskFlagFor(course, d.assessmentId, d.instrument, d.items, ctx),
  ];
}

function resolveRiskFlag(
  d: ResolveRiskFlag['data'],
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  // Allowed after closing: a risk review never stops with the course (rule 4).
  const course = existing(state, d.courseId);

  // Rule 11.
  const flag = course.riskFlags.find((f) => f.flagId === d.flagId);
  if (!flag)
    throw CourseRuleViolation.conflict('risk_flag_unknown', 11, 'no such risk flag in this course');
  if (!flag.open) {
    throw CourseRuleViolation.conflict(
      'risk_flag_already_resolved',
      11,
      'the risk flag is already resolved',
    );
  }
  return [
    {
      type: 'RiskFlagResolved',
      data: {
        courseId: course.courseId,
        flagId: d.flagId,
        disposition: d.disposition,
        resolvedAt: ctx.now.toISOString(),
        phi: d.note == null ? {} : { note: d.note },
      },
    },
  ];
}

/** Rule 12: a terminal time is not before enrollment nor before the last held session. */
function checkTerminalTime(course: EnrolledCourse, at: number): void {
  const last = lastHeldAt(course);
  if (at < (parseInstant(course.enrolledAt) ?? -Infinity) || (last !== null && at < last)) {
    throw timeOutOfOrder(
      12,
      'the course cannot end before enrollment or before the last held session',
    );
  }
}

function withdrawPatient(
  d: WithdrawPatient['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const withdrawnAt = instantOf(d.withdrawnAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);
  checkTerminalTime(course, withdrawnAt);
  return [
    {
      type: 'PatientWithdrawn',
      data: { courseId: course.courseId, withdrawnAt: toIsoInstant(withdrawnAt), reason: d.reason },
    },
  ];
}

function completeCourse(
  d: CompleteCourse['data'],
  state: CourseState,
  _ctx: DecisionContext,
): CourseEvent[] {
  const completedAt = instantOf(d.completedAt);

  const course = existing(state, d.courseId);
  refuseIfClosed(course);

  // Rule 12.
  if (course.sessions.length === 0) {
    throw CourseRuleViolation.conflict(
      'no_sessions_held',
      12,
      'a course needs at least one held session to complete',
    );
  }
  if (course.riskFlags.some((f) => f.open)) {
    throw CourseRuleViolation.conflict(
      'open_risk_flags',
      12,
      'every risk flag must be resolved before completion',
    );
  }
  checkTerminalTime(course, completedAt);
  return [
    {
      type: 'CourseCompleted',
      data: { courseId: course.courseId, completedAt: toIsoInstant(completedAt) },
    },
  ];
}

function correctAssessment(
  d: CorrectAssessment['data'],
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  // Corrections are accepted while active and after closing (rule 16): no closed check.
  const course = existing(state, d.courseId);

  // Rule 16. The item ranges depend on the instrument, known only from the stream.
  const assessment = course.assessments.find((a) => a.assessmentId === d.assessmentId);
  if (!assessment) {
    throw CourseRuleViolation.conflict(
      'assessment_unknown',
      16,
      'no such assessment in this course',
    );
  }
  const itemErrors = validateItems(assessment.instrument, d.items);
  if (itemErrors.length > 0) throw CourseRuleViolation.validation(itemErrors, 16);
  if (
    d.items.length === assessment.items.length &&
    d.items.every((x, i) => x === assessment.items[i])
  ) {
    throw CourseRuleViolation.conflict(
      'correction_unchanged',
      16,
      'the corrected items equal the current ones',
    );
  }

  const { total, severity } = score(assessment.instrument, d.items);
  // Rule 17: a corrected risk item raises a flag unless one is still open for this form.
  const hasOpenFlag = course.riskFlags.some((f) => f.open && f.assessmentId === d.assessmentId);
  return [
    {
      type: 'AssessmentCorrected',
      data: {
        courseId: course.courseId,
        assessmentId: d.assessmentId,
        items: [...d.items],
        total,
        severity,
        scoringScheme: instrumentDefinition(assessment.instrument).scoringScheme,
        phi: { reason: d.reason },
      },
    },
    ...(hasOpenFlag
      ? []
      : riskFlagFor(course, d.assessmentId, assessment.instrument, d.items, ctx)),
  ];
}

/**
 * What the assessment and correction routes answer besides the revision
 * (api.md): the score of the form and the flag it raised, if any.
 */
export function assessmentAnswer(
  events: readonly CourseEvent[],
): { total: number | null; severity: Severity | null; riskFlagId: string | null } | null {
  let answer: {
    total: number | null;
    severity: Severity | null;
    riskFlagId: string | null;
  } | null = null;
  for (const e of events) {
    if (e.type === 'AssessmentRecorded' || e.type === 'AssessmentCorrected') {
      answer = { total: e.data.total, severity: e.data.severity, riskFlagId: null };
    } else if (e.type === 'RiskFlagRaised' && answer) {
      answer.riskFlagId = e.data.flagId;
    }
  }
  return answer;
}

/** privacy.md: allowed whatever the course's status; a second erasure is course_erased. */
function eraseCourse(
  d: EraseCourse['data'],
  state: CourseState,
  ctx: DecisionContext,
): CourseEvent[] {
  const course = existing(state, d.courseId);
  return [
    {
      type: 'PersonalDataErased',
      data: {
        courseId: course.courseId,
        reason: d.reason,
        reference: d.reference ?? null,
        erasedAt: ctx.now.toISOString(),
      },
    },
  ];
}

/**
 * Every code with which `decide` can refuse each command, read off the rule
 * functions above: what the OpenAPI document lists per command route. A code
 * refused that is not listed here fails the end-to-end contract check.
 */
export const COMMAND_REFUSALS: Readonly<Record<CourseCommandType, readonly CourseRuleCode[]>> = {
  EnrollPatient: ['validation_failed', 'course_exists', 'ineligible'],
  SelectProblemArea: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'problem_area_unchanged',
    'reason_required',
  ],
  RecordSessionHeld: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'session_limit_reached',
    'session_out_of_order',
    'time_out_of_order',
  ],
  RecordSessionMissed: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'time_out_of_order',
  ],
  AssignHomework: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'homework_exists',
    'session_not_held',
  ],
  SubmitHomework: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'homework_unknown',
    'homework_already_submitted',
    'time_out_of_order',
  ],
  RecordAssessment: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'follow_up_requires_closed_course',
    'assessment_exists',
    'time_out_of_order',
  ],
  ResolveRiskFlag: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'risk_flag_unknown',
    'risk_flag_already_resolved',
  ],
  WithdrawPatient: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'time_out_of_order',
  ],
  CompleteCourse: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'course_closed',
    'no_sessions_held',
    'open_risk_flags',
    'time_out_of_order',
  ],
  CorrectAssessment: [
    'validation_failed',
    'course_not_found',
    'course_erased',
    'assessment_unknown',
    'correction_unchanged',
  ],
  EraseCourse: ['validation_failed', 'course_not_found', 'course_erased'],
};
