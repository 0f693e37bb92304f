import { commandProblems, contentProblems, MAX_ITEM_COUNT } from './command-checks';
import { commands, COURSE_ID } from './testing/fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
const fields = (problems: { field: string }[]) => problems.map((p) => p.field);

describe('command checks (stateless, decision 13)', () => {
  it('report every problem of a command together, field by field', () => {
    const problems = commandProblems(
      {
        type: 'RecordSessionHeld',
        data: {
          courseId: COURSE_ID,
          sessionNumber: 0,
          heldAt: '2025-03-01T12:06:00Z', // six minutes ahead: rule 14
          durationMinutes: 241,
          modality: 'telepathy' as never,
        },
      },
      NOW,
    );
    expect(fields(problems)).toEqual(['sessionNumber', 'heldAt', 'durationMinutes', 'modality']);
  });

  it('accept a valid command and a time within the 5-minute tolerance', () => {
    const session = commands.session(1, '2025-03-01T12:04:59Z');
    expect(commandProblems(session, NOW)).toEqual([]);
  });

  it('check what a command says apart from the things it addresses (the path in the API)', () => {
    const body = { disposition: 'safety_plan', note: 'x'.repeat(2001) };
    expect(fields(contentProblems('ResolveRiskFlag', body, NOW))).toEqual(['note']);
    const command = { type: 'ResolveRiskFlag', data: { courseId: COURSE_ID, ...body } } as never;
    expect(fields(commandProblems(command, NOW))).toEqual(['flagId', 'note']);
  });

  it('never repeat the value in a message (it may be PHI)', () => {
    const patientRef = 'MRN-'.padEnd(65, '7');
    const problems = commandProblems(commands.enroll({ patientRef }), NOW);
    expect(fields(problems)).toEqual(['patientRef']);
    expect(JSON.stringify(problems)).not.toContain('MRN-');
  });

  it('know the longest rating scale', () => {
    expect(MAX_ITEM_COUNT).toBe(21); // BDI-II
  });

  it('refuse an unknown command type', () => {
    expect(commandProblems({ type: 'Archive', data: {} } as never, NOW)).toEqual([
      { field: 'type', message: 'unknown command' },
    ]);
  });
});
