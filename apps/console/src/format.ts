/** Display formats: coded values as words, rates as percentages, times in the viewer's locale. */

export function label(code: string): string {
  if (code === '—') return code;
  const words = code
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

// One formatter each: toLocaleString with options builds a new one per call, which a 500-event timeline feels.
const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatTime(iso: string | null | undefined): string {
  if (!iso || iso === '—') return '—';
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : TIME.format(time);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : DATE.format(time);
}

export function yesNo(value: boolean | null | undefined): string {
  return value === null || value === undefined ? '—' : value ? 'yes' : 'no';
}
