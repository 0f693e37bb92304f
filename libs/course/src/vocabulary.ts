/** The coded values of the domain (docs/domain-rules.md). */

export const PROBLEM_AREAS = [
  'grief',
  'role_dispute',
  'role_transition',
  'interpersonal_deficits',
] as const;
export type ProblemArea = (typeof PROBLEM_AREAS)[number];

export const MODALITIES = ['in_person', 'video', 'phone'] as const;
export type Modality = (typeof MODALITIES)[number];

export const MISSED_SESSION_KINDS = [
  'did_not_attend',
  'cancelled_by_patient',
  'cancelled_by_clinic',
] as const;
export type MissedSessionKind = (typeof MISSED_SESSION_KINDS)[number];

export const TIMEPOINTS = ['baseline', 'session', 'end', 'follow_up'] as const;
export type Timepoint = (typeof TIMEPOINTS)[number];

export const INSTRUMENTS = ['PHQ-9', 'GAD-7', 'HRSD-17', 'BDI-II'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

export const SEVERITIES = [
  'minimal',
  'mild',
  'moderate',
  'moderately_severe',
  'severe',
  'none',
] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RISK_DISPOSITIONS = [
  'no_current_risk',
  'safety_plan',
  'crisis_referral',
  'other',
] as const;
export type RiskDisposition = (typeof RISK_DISPOSITIONS)[number];

export const WITHDRAWAL_REASONS = [
  'patient_choice',
  'lost_to_contact',
  'clinical_escalation',
  'referred_elsewhere',
  'moved',
  'died',
  'other',
] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];

export const SCREENING_CRITERIA = [
  'psychosis',
  'bipolarDisorder',
  'primarySubstanceUse',
  'acuteSuicideRisk',
] as const;
export type ScreeningCriterion = (typeof SCREENING_CRITERIA)[number];

export const COURSE_STATUSES = ['active', 'completed', 'withdrawn'] as const;
export type CourseStatus = (typeof COURSE_STATUSES)[number];

export const ROLES = ['clinician', 'auditor', 'analyst', 'admin', 'privacy_officer'] as const;
export type Role = (typeof ROLES)[number];

/** Why a course's personal data was erased (privacy.md). */
export const ERASURE_REASONS = [
  'data_subject_request',
  'retention_expired',
  'legal_order',
  'other',
] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];
