/**
 * Reads a list route's query string: each parameter at most once, a page
 * size of 1–500 (50 by default), an opaque cursor this API issued. Problems
 * are collected so that one 400 names them all; unknown names are reported
 * as `query`, never repeated, since a careless client may put anything there.
 */
import { InvalidRequest, type FieldProblem } from '../application/errors';

export class QueryParameters {
  readonly problems: FieldProblem[] = [];

  constructor(
    private readonly query: Record<string, unknown>,
    known: readonly string[],
  ) {
    if (Object.keys(query).some((name) => !known.includes(name)))
      this.problems.push({ field: 'query', message: 'unknown query parameter' });
  }

  single(name: string): string | undefined {
    const value = this.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problems.push({ field: name, message: 'must be given once' });
      return undefined;
    }
    return value;
  }

  limit(): number {
    const text = this.single('limit');
    if (text === undefined) return 50;
    const limit = Number(text);
    if (!/^\d{1,3}$/.test(text) || limit < 1 || limit > 500)
      this.problems.push({ field: 'limit', message: 'must be an integer from 1 to 500' });
    return limit;
  }

  /** The decoded `cursor`, or undefined when absent or not one `decode` accepts (then a problem). */
  cursor<T>(decode: (cursor: string) => T | undefined): T | undefined {
    const text = this.single('cursor');
    if (text === undefined) return undefined;
    const decoded = decode(text);
    if (decoded === undefined)
      this.problems.push({ field: 'cursor', message: 'is not a cursor this API issued' });
    return decoded;
  }

  /** Throws the collected problems as one 400. */
  check(): void {
    if (this.problems.length > 0) throw new InvalidRequest(this.problems);
  }
}
