/**
 * The hash chain's cost on the write path (issue 9): CPU per command spent in
 * sealForAppend, for a typical session-held event and a scored assessment with
 * its metadata, measured as process CPU time over many seals.
 *
 *   node -r ./test/support/kafka-ts-register.js bench/chain-cost.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { sealForAppend } from '../apps/api/src/courses/event-chain';

const metadata = () => ({
  actor: { id: 'user-1', role: 'clinician' },
  clinicId: 'clinic-a',
  commandId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  schemaVersion: 1,
  recordedAt: new Date().toISOString(),
});
const courseId = randomUUID();
const kinds = {
  SessionHeld: {
    courseId,
    sessionNumber: 3,
    heldAt: '2026-01-19T10:00:00.000Z',
    durationMinutes: 50,
    modality: 'in_person',
  },
  AssessmentRecorded: {
    courseId,
    assessmentId: randomUUID(),
    instrument: 'HRSD-17',
    timepoint: 'session',
    administeredAt: '2026-01-19T10:30:00.000Z',
    items: [2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2],
    total: 17,
    severity: 'moderate',
    scheme: 'zimmerman-2013',
  },
};
const N = 20_000;
let lastHash = '0'.repeat(64);
for (const [type, data] of Object.entries(kinds)) {
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const [sealed] = sealForAppend(
      `course-${courseId}`,
      i,
      [{ eventId: randomUUID(), type, data, metadata: metadata() }],
      lastHash,
    );
    lastHash = sealed.metadata.hash as string;
  }
  const used = process.cpuUsage(before);
  const micros = (used.user + used.system) / N;
  process.stdout.write(`${type}: ${micros.toFixed(1)} µs CPU per sealed event (${N} events)\n`);
}
