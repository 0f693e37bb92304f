/**
 * What the OpenAPI contract check costs each answer of the end-to-end suites:
 * the CPU time of checkAnswer (find the operation, headers, ajv on the body,
 * the per-worker count file) over the example answers of docs/openapi.json,
 * a command answer, a course view, a history and a problem, N times each.
 *
 *   npm run bench:openapi-contract          (OPENAPI_BENCH_ROUNDS=2000 by default)
 *
 * CPU time, not wall time: the machine is shared.
 */
import * as fs from 'node:fs';
import { checkAnswer, OPENAPI_FILE, type ContractAnswer } from '../test/support/openapi-contract';

const ROUNDS = Number(process.env.OPENAPI_BENCH_ROUNDS ?? 2000);
const document = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
const COURSE = '6f1c2b9e-4a7d-4e0b-9c55-1d2e3f405162';
const schema = (name: string) => document.components.schemas[name].example;
const json = { 'content-type': 'application/json; charset=utf-8' };

const answers: [string, ContractAnswer][] = [
  [
    'command answer (200, ETag)',
    {
      method: 'POST',
      url: `/v1/courses/${COURSE}/sessions`,
      status: 200,
      headers: { ...json, etag: '"3"' },
      text: JSON.stringify(schema('CommandAnswer')),
    },
  ],
  [
    'course view',
    {
      method: 'GET',
      url: `/v1/courses/${COURSE}`,
      status: 200,
      headers: json,
      text: JSON.stringify(schema('CourseView')),
    },
  ],
  [
    'history (1 event)',
    {
      method: 'GET',
      url: `/v1/courses/${COURSE}/history`,
      status: 200,
      headers: json,
      text: JSON.stringify(schema('CourseHistory')),
    },
  ],
  [
    'problem 409',
    {
      method: 'POST',
      url: `/v1/courses/${COURSE}/sessions`,
      status: 409,
      headers: { 'content-type': 'application/problem+json' },
      text: JSON.stringify({
        type: 'https://ipt-course-ledger.dev/problems/session-out-of-order',
        title: 'Conflict',
        status: 409,
        detail: 'sessions are numbered in order',
        code: 'session_out_of_order',
        rule: 5,
      }),
    },
  ],
];

const started = process.cpuUsage();
checkAnswer(answers[0][1]); // loads and compiles the document once
const loadMs = process.cpuUsage(started).user / 1000;
process.stdout.write(`document load and first compile: ${loadMs.toFixed(0)} ms CPU\n`);
process.stdout.write(`| answer | µs CPU per check |\n|---|---|\n`);
for (const [name, answer] of answers) {
  checkAnswer(answer); // compile this response's schema
  const before = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) checkAnswer(answer);
  const cpu = process.cpuUsage(before);
  process.stdout.write(`| ${name} | ${((cpu.user + cpu.system) / ROUNDS).toFixed(1)} |\n`);
}
