import { InvalidRequest } from '../application/errors';
import { QueryParameters } from './query-parameters';

const decodeNumber = (text: string) => (/^\d+$/.test(text) ? Number(text) : undefined);

function problemsOf(read: () => void): unknown {
  try {
    read();
  } catch (error) {
    if (error instanceof InvalidRequest) return error.errors;
    throw error;
  }
  return [];
}

describe('QueryParameters', () => {
  it('reads each parameter once, the page size and the cursor', () => {
    const params = new QueryParameters({ limit: '20', cursor: '7', status: 'active' }, [
      'limit',
      'cursor',
      'status',
    ]);
    expect(params.single('status')).toBe('active');
    expect(params.limit()).toBe(20);
    expect(params.cursor(decodeNumber)).toBe(7);
    expect(() => params.check()).not.toThrow();
  });

  it('defaults the page size to 50 and the cursor to none', () => {
    const params = new QueryParameters({}, ['limit', 'cursor']);
    expect(params.limit()).toBe(50);
    expect(params.cursor(decodeNumber)).toBeUndefined();
  });

  it('collects every problem into one refusal, never echoing an unknown name', () => {
    const params = new QueryParameters(
      { 'MRN-12345': 'x', status: ['a', 'b'], limit: '501', cursor: 'forged' },
      ['status', 'limit', 'cursor'],
    );
    const problems = problemsOf(() => {
      params.single('status');
      params.limit();
      params.cursor(decodeNumber);
      params.check();
    });
    expect(problems).toEqual([
      { field: 'query', message: 'unknown query parameter' },
      { field: 'status', message: 'must be given once' },
      { field: 'limit', message: 'must be an integer from 1 to 500' },
      { field: 'cursor', message: 'is not a cursor this API issued' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('MRN-12345');
  });
});
