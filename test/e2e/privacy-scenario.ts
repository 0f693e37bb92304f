/**
 * Courses that carry PHI in every field that may hold it (privacy.md, "What
 * is PHI"): a distinctive record number and free texts, each sent through the
 * command that records it, so that a search of raw bytes can look for them.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LedgerClient } from '../support/ledger-app';
import { CourseDriver, assessment, day, homework, session } from './course-scenario';

export interface PhiCourse {
  course: CourseDriver;
  /** Every PHI value the course was given, each unique to it. */
  phi: string[];
  patientRef: string;
}

/** Enrolls (overriding a positive screen) and sends every command that carries PHI. */
export async function phiCourse(clinician: LedgerClient, tag: string): Promise<PhiCourse> {
  const unique = `${tag}-${randomUUID().slice(0, 8)}`;
  const phi = {
    patientRef: `MRN-${unique}`,
    override: `override ${unique}: psychosis ruled out by the psychiatrist`,
    areaReason: `reason ${unique}: the quarrel with her brother Tom`,
    homework: `homework ${unique}: write the letter to Tom`,
    note: `note ${unique}: safety plan agreed with her husband`,
    correction: `correction ${unique}: item nine was copied wrongly`,
  };
  const course = await CourseDriver.enroll(clinician, {
    patientRef: phi.patientRef,
    screening: {
      psychosis: true,
      bipolarDisorder: false,
      primarySubstanceUse: false,
      acuteSuicideRisk: false,
    },
    override: { reason: phi.override },
  });
  await course.send('/problem-area', { area: 'grief' });
  await course.send('/problem-area', { area: 'role_dispute', reason: phi.areaReason });
  await course.send('/sessions', session(1));
  await course.send('/homework', homework('hw-1', { description: phi.homework }));
  const form = assessment('PHQ-9', [1, 1, 1, 1, 1, 1, 1, 1, 1], { timepoint: 'baseline' });
  const scored = await course.send('/assessments', form);
  await course.send(`/risk-flags/${scored.body.riskFlagId}/resolution`, {
    disposition: 'safety_plan',
    note: phi.note,
  });
  await course.send(`/assessments/${form.assessmentId}/correction`, {
    items: [1, 1, 1, 1, 1, 1, 1, 1, 0],
    reason: phi.correction,
  });
  await course.send('/sessions', session(2));
  await course.send('/missed-sessions', { scheduledAt: day(14), kind: 'did_not_attend' });
  return { course, phi: Object.values(phi), patientRef: phi.patientRef };
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

/** The files under `dir` whose raw bytes hold `text` (as UTF-8), by name relative to `dir`. */
export function filesHolding(dir: string, text: string): string[] {
  const needle = Buffer.from(text, 'utf8');
  return filesUnder(dir)
    .filter((file) => fs.readFileSync(file).includes(needle))
    .map((file) => path.relative(dir, file));
}
