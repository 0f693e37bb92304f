import { normaliseInstant, parseInstant } from './time';

describe('clinical times', () => {
  it('compares instants across offsets and normalises to UTC', () => {
    expect(parseInstant('2025-03-01T10:30:00+01:00')).toBe(Date.parse('2025-03-01T09:30:00Z'));
    expect(normaliseInstant('2025-03-01T10:30:00+01:00')).toBe('2025-03-01T09:30:00.000Z');
    expect(normaliseInstant('2025-03-01T00:15-05:30')).toBe('2025-03-01T05:45:00.000Z');
    expect(normaliseInstant('2025-03-01T09:30:00.123456Z')).toBe('2025-03-01T09:30:00.123Z');
    expect(normaliseInstant('2024-02-29T23:00:00-0200')).toBe('2024-03-01T01:00:00.000Z');
  });

  it.each([
    '2025-03-01',
    '2025-03-01T09:30:00',
    'March 1, 2025',
    '2025-02-29T09:30:00Z',
    '2025-13-01T09:30:00Z',
    '2025-03-01T24:00:00Z',
    '2025-03-01T09:60:00Z',
    '2025-03-01T09:30:00+25:00',
    '',
    42,
    null,
  ])('rejects %p', (value) => {
    expect(parseInstant(value)).toBeNull();
  });
});
