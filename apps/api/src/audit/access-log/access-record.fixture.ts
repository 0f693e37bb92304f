/** An access record as the hook hands it to the log, for the access log's tests. */
import { randomUUID } from 'node:crypto';
import type { UnsealedAccessRecord } from '@ipt/audit';

export function unsealedRecord(
  clinicId: string,
  overrides: Partial<UnsealedAccessRecord> = {},
): UnsealedAccessRecord {
  return {
    recordId: randomUUID(),
    at: new Date().toISOString(),
    actor: { id: `clinician@${clinicId}`, role: 'clinician' },
    clinicId,
    method: 'GET',
    route: '/v1/courses/{courseId}',
    courseId: randomUUID(),
    status: 200,
    requestId: randomUUID(),
    ...overrides,
  };
}
