/**
 * given(events).when(command).then(events) / .thenThrows(code): the shape of
 * every decision test. Test support only; not exported from the barrel.
 */
import type { CourseCommand, DecisionContext } from '../commands';
import { decide } from '../decide';
import { CourseRuleViolation, type CourseRuleCode } from '../errors';
import type { CourseEvent } from '../events';
import { foldCourse } from '../evolve';

/** The server clock in every decision test: well after the fixture course. */
export const NOW = new Date('2025-06-02T12:00:00.000Z');

/** A fixed clock and predictable UUID-shaped ids: 00000000-0000-4000-8000-000000000001, …02, … */
export function testContext(now: Date = NOW): DecisionContext {
  let n = 0;
  return { now, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
}

export const nthId = (n: number): string =>
  `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function given(...events: CourseEvent[]) {
  const state = foldCourse(events);
  return {
    state,
    when(command: CourseCommand, ctx: DecisionContext = testContext()) {
      const run = (): CourseEvent[] => decide(command, state, ctx);
      return {
        /** The events decided, for assertions of your own. */
        events: run,
        then(expected: CourseEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: CourseRuleCode): CourseRuleViolation {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(CourseRuleViolation);
          expect((error as CourseRuleViolation).code).toBe(code);
          return error as CourseRuleViolation;
        },
      };
    },
  };
}
