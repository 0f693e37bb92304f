/**
 * The rating scales (docs/domain-rules.md, "Instruments"): item ranges, severity bands,
 * risk item and the thresholds the outcome figures use. Every scored result
 * stores the name of its scheme, so a later change of bands or thresholds is
 * visible in the history: change a definition here → give it a new name.
 */
import type { FieldError } from './errors';
import type { Instrument, Severity } from './vocabulary';

export interface SeverityBand {
  /** Inclusive bounds of the total. */
  min: number;
  max: number;
  severity: Severity;
}

export interface InstrumentDefinition {
  instrument: Instrument;
  /** Stored with every score (AssessmentRecorded / AssessmentCorrected.scoringScheme). */
  scoringScheme: string;
  /** Highest allowed score of each item, in item order (every item starts at 0). */
  itemMax: readonly number[];
  bands: readonly SeverityBand[];
  /** 1-based number of the item that raises a risk flag when ≥ 1; null when the scale has none. */
  riskItem: number | null;
  /** Remission is `total ≤ remissionMaxTotal` (PHQ-9 "< 5" is written as "≤ 4"). */
  remissionMaxTotal: number;
  /** A total ≥ caseness counts as a clinical case. */
  caseness: number;
  /** Smallest change of the total that counts as reliable. */
  reliableChange: number;
}

const allItems = (count: number, max: number): number[] => Array.from({ length: count }, () => max);

// HRSD-17 items 1,2,3,7,8,9,10,11,15 are scored 0–4; the others 0–2.
const HRSD17_WIDE_ITEMS = new Set([1, 2, 3, 7, 8, 9, 10, 11, 15]);

export const INSTRUMENT_DEFINITIONS: Readonly<Record<Instrument, InstrumentDefinition>> = {
  'PHQ-9': {
    instrument: 'PHQ-9',
    scoringScheme: 'PHQ-9/nhs-talking-therapies/v1',
    itemMax: allItems(9, 3),
    bands: [
      { min: 0, max: 4, severity: 'minimal' },
      { min: 5, max: 9, severity: 'mild' },
      { min: 10, max: 14, severity: 'moderate' },
      { min: 15, max: 19, severity: 'moderately_severe' },
      { min: 20, max: 27, severity: 'severe' },
    ],
    riskItem: 9,
    remissionMaxTotal: 4,
    caseness: 10,
    reliableChange: 6,
  },
  'GAD-7': {
    instrument: 'GAD-7',
    // Remission < 5 is this ledger's choice, not an NHS Talking Therapies figure.
    scoringScheme: 'GAD-7/nhs-talking-therapies+remission-lt5/v1',
    itemMax: allItems(7, 3),
    bands: [
      { min: 0, max: 4, severity: 'minimal' },
      { min: 5, max: 9, severity: 'mild' },
      { min: 10, max: 14, severity: 'moderate' },
      { min: 15, max: 21, severity: 'severe' },
    ],
    riskItem: null,
    remissionMaxTotal: 4,
    caseness: 8,
    reliableChange: 4,
  },
  'HRSD-17': {
    instrument: 'HRSD-17',
    scoringScheme: 'HRSD-17/zimmerman-2013+jacobson-truax/v1',
    itemMax: Array.from({ length: 17 }, (_, i) => (HRSD17_WIDE_ITEMS.has(i + 1) ? 4 : 2)),
    bands: [
      { min: 0, max: 7, severity: 'none' },
      { min: 8, max: 16, severity: 'mild' },
      { min: 17, max: 23, severity: 'moderate' },
      { min: 24, max: 52, severity: 'severe' },
    ],
    riskItem: 3,
    remissionMaxTotal: 7,
    caseness: 8,
    reliableChange: 7,
  },
  'BDI-II': {
    instrument: 'BDI-II',
    scoringScheme: 'BDI-II/beck-1996+jacobson-truax/v1',
    itemMax: allItems(21, 3),
    bands: [
      { min: 0, max: 13, severity: 'minimal' },
      { min: 14, max: 19, severity: 'mild' },
      { min: 20, max: 28, severity: 'moderate' },
      { min: 29, max: 63, severity: 'severe' },
    ],
    riskItem: 9,
    remissionMaxTotal: 13,
    caseness: 14,
    reliableChange: 8,
  },
};

export const instrumentDefinition = (instrument: Instrument): InstrumentDefinition =>
  INSTRUMENT_DEFINITIONS[instrument];

export const isInstrument = (value: unknown): value is Instrument =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(INSTRUMENT_DEFINITIONS, value);

/**
 * Rule 9: exactly the instrument's item count, each item `null` or an integer
 * in that item's range. Messages name ranges only, never the submitted value.
 */
export function validateItems(instrument: Instrument, items: unknown): FieldError[] {
  const def = INSTRUMENT_DEFINITIONS[instrument];
  if (!Array.isArray(items)) return [{ field: 'items', message: 'must be an array' }];
  if (items.length !== def.itemMax.length) {
    return [{ field: 'items', message: `${instrument} has exactly ${def.itemMax.length} items` }];
  }
  const errors: FieldError[] = [];
  items.forEach((item: unknown, i) => {
    const max = def.itemMax[i];
    const ok =
      item === null ||
      (typeof item === 'number' && Number.isInteger(item) && item >= 0 && item <= max);
    if (!ok)
      errors.push({ field: `items[${i}]`, message: `must be null or an integer from 0 to ${max}` });
  });
  return errors;
}

export const severityOf = (instrument: Instrument, total: number): Severity | null =>
  INSTRUMENT_DEFINITIONS[instrument].bands.find((b) => total >= b.min && total <= b.max)
    ?.severity ?? null;

/** Sum of the items; a form with any null item has no total and no severity (no prorating). */
export function score(
  instrument: Instrument,
  items: readonly (number | null)[],
): { total: number | null; severity: Severity | null } {
  let total = 0;
  for (const item of items) {
    if (item === null) return { total: null, severity: null };
    total += item;
  }
  return { total, severity: severityOf(instrument, total) };
}

/** Rule 10: the risk item and its score when it is ≥ 1 (a null risk item raises nothing). */
export function riskItemScore(
  instrument: Instrument,
  items: readonly (number | null)[],
): { item: number; score: number } | null {
  const riskItem = INSTRUMENT_DEFINITIONS[instrument].riskItem;
  if (riskItem === null) return null;
  const value = items[riskItem - 1];
  return typeof value === 'number' && value >= 1 ? { item: riskItem, score: value } : null;
}

export const meetsRemission = (instrument: Instrument, total: number): boolean =>
  total <= INSTRUMENT_DEFINITIONS[instrument].remissionMaxTotal;

export const isCase = (instrument: Instrument, total: number): boolean =>
  total >= INSTRUMENT_DEFINITIONS[instrument].caseness;
