import {
  INSTRUMENT_DEFINITIONS,
  isCase,
  meetsRemission,
  riskItemScore,
  score,
  severityOf,
  validateItems,
} from './instruments';
import { itemsTotalling } from './testing/fixtures';
import { INSTRUMENTS, type Instrument, type Severity } from './vocabulary';

describe('instruments', () => {
  describe('item counts', () => {
    it.each([
      ['PHQ-9', 9],
      ['GAD-7', 7],
      ['HRSD-17', 17],
      ['BDI-II', 21],
    ] as const)('%s has %i items and rejects one more or one fewer', (instrument, count) => {
      expect(INSTRUMENT_DEFINITIONS[instrument].itemMax).toHaveLength(count);
      expect(validateItems(instrument, Array(count).fill(0))).toEqual([]);
      expect(validateItems(instrument, Array(count - 1).fill(0))).toEqual([
        { field: 'items', message: `${instrument} has exactly ${count} items` },
      ]);
      expect(validateItems(instrument, Array(count + 1).fill(0))[0].field).toBe('items');
    });

    it('rejects items that are not an array', () => {
      expect(validateItems('PHQ-9', 'not items')).toEqual([
        { field: 'items', message: 'must be an array' },
      ]);
    });
  });

  describe('item ranges (rule 9)', () => {
    it.each(['PHQ-9', 'GAD-7', 'BDI-II'] as const)('%s items are 0–3', (instrument) => {
      const n = INSTRUMENT_DEFINITIONS[instrument].itemMax.length;
      expect(validateItems(instrument, Array(n).fill(3))).toEqual([]);
      const items: unknown[] = Array(n).fill(0);
      items[2] = 4;
      items[4] = -1;
      expect(validateItems(instrument, items)).toEqual([
        { field: 'items[2]', message: 'must be null or an integer from 0 to 3' },
        { field: 'items[4]', message: 'must be null or an integer from 0 to 3' },
      ]);
    });

    it('HRSD-17 items 1,2,3,7,8,9,10,11,15 are 0–4 and items 4,5,6,12,13,14,16,17 are 0–2', () => {
      const wide = [1, 2, 3, 7, 8, 9, 10, 11, 15];
      const narrow = [4, 5, 6, 12, 13, 14, 16, 17];
      expect(INSTRUMENT_DEFINITIONS['HRSD-17'].itemMax).toEqual(
        Array.from({ length: 17 }, (_, i) => (wide.includes(i + 1) ? 4 : 2)),
      );
      const max: number[] = Array.from({ length: 17 }, (_, i) => (wide.includes(i + 1) ? 4 : 2));
      expect(validateItems('HRSD-17', max)).toEqual([]);
      expect(score('HRSD-17', max).total).toBe(52);
      for (const item of narrow) {
        const items = [...max];
        items[item - 1] = 3;
        expect(validateItems('HRSD-17', items)).toEqual([
          { field: `items[${item - 1}]`, message: 'must be null or an integer from 0 to 2' },
        ]);
      }
      for (const item of wide) {
        const items = [...max];
        items[item - 1] = 5;
        expect(validateItems('HRSD-17', items)).toEqual([
          { field: `items[${item - 1}]`, message: 'must be null or an integer from 0 to 4' },
        ]);
      }
    });

    it.each([[1.5], ['2'], [true], [undefined], [NaN], [Infinity]])(
      'rejects the item value %p',
      (value) => {
        const items: unknown[] = Array(9).fill(0);
        items[0] = value;
        expect(validateItems('PHQ-9', items)).toEqual([
          { field: 'items[0]', message: 'must be null or an integer from 0 to 3' },
        ]);
      },
    );

    it('accepts null items', () => {
      expect(validateItems('GAD-7', [null, 1, null, 2, 3, 0, null])).toEqual([]);
    });
  });

  describe('severity bands at every edge', () => {
    const edges: [Instrument, number, Severity][] = [
      ['PHQ-9', 0, 'minimal'],
      ['PHQ-9', 4, 'minimal'],
      ['PHQ-9', 5, 'mild'],
      ['PHQ-9', 9, 'mild'],
      ['PHQ-9', 10, 'moderate'],
      ['PHQ-9', 14, 'moderate'],
      ['PHQ-9', 15, 'moderately_severe'],
      ['PHQ-9', 19, 'moderately_severe'],
      ['PHQ-9', 20, 'severe'],
      ['PHQ-9', 27, 'severe'],
      ['GAD-7', 0, 'minimal'],
      ['GAD-7', 4, 'minimal'],
      ['GAD-7', 5, 'mild'],
      ['GAD-7', 9, 'mild'],
      ['GAD-7', 10, 'moderate'],
      ['GAD-7', 14, 'moderate'],
      ['GAD-7', 15, 'severe'],
      ['GAD-7', 21, 'severe'],
      ['HRSD-17', 0, 'none'],
      ['HRSD-17', 7, 'none'],
      ['HRSD-17', 8, 'mild'],
      ['HRSD-17', 16, 'mild'],
      ['HRSD-17', 17, 'moderate'],
      ['HRSD-17', 23, 'moderate'],
      ['HRSD-17', 24, 'severe'],
      ['HRSD-17', 52, 'severe'],
      ['BDI-II', 0, 'minimal'],
      ['BDI-II', 13, 'minimal'],
      ['BDI-II', 14, 'mild'],
      ['BDI-II', 19, 'mild'],
      ['BDI-II', 20, 'moderate'],
      ['BDI-II', 28, 'moderate'],
      ['BDI-II', 29, 'severe'],
      ['BDI-II', 63, 'severe'],
    ];
    it.each(edges)('%s total %i is %s', (instrument, total, severity) => {
      const items = itemsTotalling(instrument, total);
      expect(validateItems(instrument, items)).toEqual([]);
      expect(score(instrument, items)).toEqual({ total, severity });
    });

    it.each(INSTRUMENTS)(
      '%s bands cover its whole range without gaps or overlaps',
      (instrument) => {
        const def = INSTRUMENT_DEFINITIONS[instrument];
        const maxTotal = def.itemMax.reduce((a, b) => a + b, 0);
        expect(def.bands[0].min).toBe(0);
        expect(def.bands[def.bands.length - 1].max).toBe(maxTotal);
        def.bands.slice(1).forEach((b, i) => expect(b.min).toBe(def.bands[i].max + 1));
        expect(severityOf(instrument, maxTotal + 1)).toBeNull();
      },
    );
  });

  describe('null items', () => {
    it.each(INSTRUMENTS)(
      'a %s form with a null item has no total and no severity',
      (instrument) => {
        const items: (number | null)[] = itemsTotalling(instrument, 12);
        items[items.length - 1] = null;
        expect(score(instrument, items)).toEqual({ total: null, severity: null });
      },
    );
  });

  describe('risk items (rule 10)', () => {
    it.each([
      ['PHQ-9', 9, 3],
      ['HRSD-17', 3, 4],
      ['BDI-II', 9, 3],
    ] as const)('%s risk item is item %i', (instrument, item, max) => {
      const n = INSTRUMENT_DEFINITIONS[instrument].itemMax.length;
      const items: (number | null)[] = Array(n).fill(0);
      expect(riskItemScore(instrument, items)).toBeNull();
      items[item - 1] = 1;
      expect(riskItemScore(instrument, items)).toEqual({ item, score: 1 });
      items[item - 1] = max;
      expect(riskItemScore(instrument, items)).toEqual({ item, score: max });
      items[item - 1] = null;
      expect(riskItemScore(instrument, items)).toBeNull();
      // Another item high does not raise anything.
      const other: (number | null)[] = Array(n).fill(0);
      other[item - 2] = 2; // the item just before the risk item
      expect(riskItemScore(instrument, other)).toBeNull();
    });

    it('GAD-7 has no risk item', () => {
      expect(INSTRUMENT_DEFINITIONS['GAD-7'].riskItem).toBeNull();
      expect(riskItemScore('GAD-7', [3, 3, 3, 3, 3, 3, 3])).toBeNull();
    });

    it('a form with a null elsewhere still reports its risk item', () => {
      expect(riskItemScore('PHQ-9', [null, 0, 0, 0, 0, 0, 0, 0, 2])).toEqual({ item: 9, score: 2 });
    });
  });

  describe('thresholds', () => {
    it.each([
      ['PHQ-9', 4, 5, 10, 6],
      ['GAD-7', 4, 5, 8, 4],
      ['HRSD-17', 7, 8, 8, 7],
      ['BDI-II', 13, 14, 14, 8],
    ] as const)(
      '%s remits at ≤ %i, not at %i; caseness ≥ %i; reliable change %i',
      (i, rem, notRem, caseness, rc) => {
        expect(meetsRemission(i, rem)).toBe(true);
        expect(meetsRemission(i, notRem)).toBe(false);
        expect(isCase(i, caseness)).toBe(true);
        expect(isCase(i, caseness - 1)).toBe(false);
        expect(INSTRUMENT_DEFINITIONS[i].reliableChange).toBe(rc);
      },
    );

    it('every instrument has a distinct, stable scoring-scheme name', () => {
      expect(INSTRUMENTS.map((i) => INSTRUMENT_DEFINITIONS[i].scoringScheme)).toEqual([
        'PHQ-9/nhs-talking-therapies/v1',
        'GAD-7/nhs-talking-therapies+remission-lt5/v1',
        'HRSD-17/zimmerman-2013+jacobson-truax/v1',
        'BDI-II/beck-1996+jacobson-truax/v1',
      ]);
    });
  });
});
