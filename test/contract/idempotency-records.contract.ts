/**
 * The contract of the idempotency-records port (apps/api/src/courses/idempotency-records.ts),
 * run on each adapter: SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import type {
  CommandAnswer,
  IdempotencyRecords,
} from '../../apps/api/src/courses/idempotency-records';

export interface IdempotencyFixture {
  /** Two handles on the same records (two API instances, or one process). */
  open(): Promise<{ records: IdempotencyRecords; other: IdempotencyRecords }>;
  close(): Promise<void>;
}

const answer = (revision: number, digest = 'd1'): CommandAnswer => ({
  status: revision === 0 ? 201 : 200,
  body: {
    courseId: randomUUID(),
    revision,
    total: 17,
    severity: 'moderately_severe',
    riskFlagId: null,
  },
  requestDigest: digest,
});

export function idempotencyRecordsContract(name: string, fixture: IdempotencyFixture): void {
  describe(`idempotency records: ${name}`, () => {
    let records: IdempotencyRecords;
    let other: IdempotencyRecords;

    beforeAll(async () => {
      ({ records, other } = await fixture.open());
    });
    afterAll(() => fixture.close());

    it('finds nothing for a key never used', async () => {
      await expect(records.find('clinic-a', `never-${randomUUID()}`)).resolves.toBeUndefined();
    });

    it('gives back the answer saved for a key, whole, from the other handle too', async () => {
      const key = `k-${randomUUID()}`;
      const first = answer(3);
      await records.save('clinic-a', key, first);
      await expect(records.find('clinic-a', key)).resolves.toEqual(first);
      await expect(other.find('clinic-a', key)).resolves.toEqual(first);
    });

    it('keeps the first answer when a key is saved again', async () => {
      const key = `k-${randomUUID()}`;
      const first = answer(0, 'first');
      await records.save('clinic-a', key, first);
      await other.save('clinic-a', key, answer(5, 'second'));
      await expect(records.find('clinic-a', key)).resolves.toEqual(first);
    });

    it('keeps keys apart per clinic', async () => {
      const key = `k-${randomUUID()}`;
      const ofA = answer(1, 'a');
      const ofB = answer(2, 'b');
      await records.save('clinic-a', key, ofA);
      await records.save('clinic-b', key, ofB);
      await expect(records.find('clinic-a', key)).resolves.toEqual(ofA);
      await expect(records.find('clinic-b', key)).resolves.toEqual(ofB);
      await expect(records.find('clinic-c', key)).resolves.toBeUndefined();
    });

    it('takes keys of any text a client may send', async () => {
      const key = `'; DROP TABLE idempotency_keys; -- ${randomUUID()} ✓ \u0000x`.replace(
        '\u0000',
        '',
      );
      const saved = answer(4);
      await records.save('clinic-a', key, saved);
      await expect(other.find('clinic-a', key)).resolves.toEqual(saved);
    });

    it('settles racing saves of one key on one answer', async () => {
      const key = `k-${randomUUID()}`;
      const answers = Array.from({ length: 20 }, (_, i) => answer(i, `d${i}`));
      await Promise.all(answers.map((a, i) => (i % 2 ? other : records).save('clinic-a', key, a)));
      const found = await records.find('clinic-a', key);
      expect(answers).toContainEqual(found);
      await expect(other.find('clinic-a', key)).resolves.toEqual(found);
    });
  });
}
