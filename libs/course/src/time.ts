/**
 * Clinical times arrive as ISO 8601 strings with an offset or `Z` (api.md).
 * They are compared as instants and stored normalised to UTC
 * (`toISOString()`), so that two reports of the same moment in different
 * offsets are equal and string order matches time order.
 */

// Date and time of day with an explicit offset; seconds and fraction optional.
// `Date.parse` is deliberately not used: it accepts local times and free-form
// dates, and a time without an offset is ambiguous for a clinical record.
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/** Milliseconds since the epoch, or null when `value` is not an ISO 8601 instant with an offset. */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const m = ISO_INSTANT.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;

  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }

  // Date.UTC maps years 0–99 to 1900–1999; set the full year explicitly.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * MINUTE_MS;
}

/** The UTC ISO form of an instant (`2025-03-01T09:30:00.000Z`). */
export const toIsoInstant = (epochMs: number): string => new Date(epochMs).toISOString();

/** `value` normalised to UTC; throws on an unparsable time (callers validate first). */
export function normaliseInstant(value: string): string {
  const ms = parseInstant(value);
  if (ms === null) throw new RangeError('not an ISO 8601 instant with an offset');
  return toIsoInstant(ms);
}
