import type { HistoryEvent } from './api';
import { correctionsByAssessment, describeEvent, scoredForms } from './history';

let revision = 0;
function event(type: string, data: Record<string, unknown>): HistoryEvent {
  const r = revision++;
  return {
    eventId: `e${r}`,
    type,
    revision: r,
    position: r,
    recordedAt: '2025-01-06T09:00:00.000Z',
    data: { courseId: 'c', ...data },
    metadata: { actor: { id: 'dr-jones', role: 'clinician' } },
  };
}

const recorded = (
  assessmentId: string,
  instrument: string,
  administeredAt: string,
  total: number | null,
) =>
  event('AssessmentRecorded', {
    assessmentId,
    instrument,
    timepoint: 'session',
    administeredAt,
    items: [],
    total,
    severity: total === null ? null : 'mild',
  });

describe('console: reading a history', () => {
  beforeEach(() => {
    revision = 0;
  });

  it('charts one point per scored form, with the latest correction, in administeredAt order', () => {
    const events = [
      recorded('late', 'PHQ-9', '2025-02-01T10:00:00Z', 8),
      recorded('early', 'PHQ-9', '2025-01-06T10:00:00Z', 18),
      recorded('unanswered', 'PHQ-9', '2025-01-20T10:00:00Z', null),
      recorded('gad', 'GAD-7', '2025-01-06T10:00:00Z', 12),
      event('AssessmentCorrected', {
        assessmentId: 'early',
        total: 17,
        severity: 'moderately_severe',
      }),
      event('AssessmentCorrected', {
        assessmentId: 'early',
        total: 16,
        severity: 'moderately_severe',
      }),
      // A correction that leaves an item unanswered takes the form off the chart.
      event('AssessmentCorrected', { assessmentId: 'gad', total: null, severity: null }),
    ];
    const forms = scoredForms(events);
    expect(forms.get('PHQ-9')!.map((f) => [f.assessmentId, f.score, f.corrected])).toEqual([
      ['early', 16, true],
      ['late', 8, false],
    ]);
    expect(forms.has('GAD-7')).toBe(false);
  });

  it('pairs each correction with the assessment it corrects', () => {
    const events = [
      recorded('a', 'PHQ-9', '2025-01-06T10:00:00Z', 18),
      event('AssessmentCorrected', { assessmentId: 'a', total: 16 }),
    ];
    const { recordedAt, corrections } = correctionsByAssessment(events);
    expect(recordedAt.get('a')!.revision).toBe(0);
    expect(corrections.get('a')!.map((e) => e.revision)).toEqual([1]);
  });

  it('names an erasure as such and shows free text only from the phi object', () => {
    const erased = describeEvent(event('PersonalDataErased', { reason: 'patient request' }));
    expect(erased.title).toBe('Personal data erased');
    const homework = describeEvent(
      event('HomeworkAssigned', {
        homeworkId: 'hw-1',
        sessionNumber: 1,
        dueAt: '2025-01-13T10:00:00Z',
        phi: { description: 'Keep a mood diary' },
      }),
    );
    expect(homework.phi).toEqual([['Description', 'Keep a mood diary']]);
    expect(homework.facts.map(([name]) => name)).toEqual(['Homework', 'In session', 'Due']);
  });
});
