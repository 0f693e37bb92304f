/**
 * Why `decide` refused a command: a `code` from domain.md and the `kind` of
 * refusal. The domain knows no transport; the HTTP edge maps `kind` to a
 * status and puts `code`, `rule`, `criteria` and `errors` into the answer.
 * Messages are fixed texts: they never repeat patientRef, free text or any
 * other value from the command, so they are safe to log and to return.
 */
import type { ScreeningCriterion } from './vocabulary';

export interface FieldError {
  /** Path in the request body, e.g. `heldAt`, `screening.psychosis`, `items[3]`. */
  field: string;
  message: string;
}

export type RuleViolationKind = 'not_found' | 'conflict' | 'validation' | 'ineligible';

/** Every code `decide` can answer with (docs/domain-rules.md; `idempotency_key_reused` belongs to the HTTP layer). */
export const COURSE_RULE_CODES = [
  'validation_failed',
  'course_not_found',
  'course_exists',
  'ineligible',
  'course_closed',
  'follow_up_requires_closed_course',
  'session_out_of_order',
  'session_limit_reached',
  'time_out_of_order',
  'problem_area_unchanged',
  'reason_required',
  'homework_exists',
  'session_not_held',
  'homework_unknown',
  'homework_already_submitted',
  'assessment_exists',
  'risk_flag_unknown',
  'risk_flag_already_resolved',
  'no_sessions_held',
  'open_risk_flags',
  'assessment_unknown',
  'correction_unchanged',
  'course_erased',
] as const;
export type CourseRuleCode = (typeof COURSE_RULE_CODES)[number];

/** The kind of refusal of each code: what the HTTP edge maps to a status (404, 400, 422, else 409). */
export function ruleKindOf(code: CourseRuleCode): RuleViolationKind {
  if (code === 'course_not_found') return 'not_found';
  if (code === 'validation_failed') return 'validation';
  if (code === 'ineligible') return 'ineligible';
  return 'conflict';
}

export interface CourseRuleViolationDetails {
  /** The rule number (docs/domain-rules.md) that refused the command, when there is one. */
  rule?: number | null;
  /** For `validation`: what is wrong, field by field. */
  errors?: FieldError[];
  /** For `ineligible`: the positive screen criteria. */
  criteria?: ScreeningCriterion[];
}

export class CourseRuleViolation extends Error {
  override readonly name = 'CourseRuleViolation';
  readonly rule: number | null;
  readonly errors: FieldError[];
  readonly criteria?: ScreeningCriterion[];

  constructor(
    readonly code: CourseRuleCode,
    readonly kind: RuleViolationKind,
    message: string,
    details: CourseRuleViolationDetails = {},
  ) {
    super(message);
    this.rule = details.rule ?? null;
    this.errors = details.errors ?? [];
    if (details.criteria) this.criteria = details.criteria;
  }

  static notFound(): CourseRuleViolation {
    return new CourseRuleViolation('course_not_found', 'not_found', 'no such course', { rule: 1 });
  }

  static validation(errors: FieldError[], rule: number | null = null): CourseRuleViolation {
    return new CourseRuleViolation('validation_failed', 'validation', 'the command is not valid', {
      rule,
      errors,
    });
  }

  static ineligible(criteria: ScreeningCriterion[]): CourseRuleViolation {
    return new CourseRuleViolation(
      'ineligible',
      'ineligible',
      `the enrollment screen is positive (${criteria.join(', ')}) and was not overridden`,
      { rule: 2, criteria },
    );
  }

  /** privacy.md: the course's personal data is erased; no command applies any more. */
  static erased(): CourseRuleViolation {
    return new CourseRuleViolation(
      'course_erased',
      'conflict',
      "the course's personal data is erased",
    );
  }

  static conflict(code: CourseRuleCode, rule: number, message: string): CourseRuleViolation {
    return new CourseRuleViolation(code, 'conflict', message, { rule });
  }
}
