/**
 * Many new rows into a PostgreSQL table with one COPY (pg-copy-streams):
 * the server parses plain lines instead of planning a statement of thousands
 * of parameters, and the client sends text instead of a parameter per value.
 * What a rebuild or a catch-up from an empty table mostly writes.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | null;

/** The characters COPY's text format gives a meaning to, and how each is written. */
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One row in COPY's text format: tab-separated, `\N` for null, ending in a newline. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) line += '\t';
    if (value === null) line += '\\N';
    else if (typeof value === 'number') line += String(value);
    else line += SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]) : value;
  }
  return `${line}\n`;
}

/** Rows per chunk written to the COPY stream (a chunk is one string). */
const LINES_PER_CHUNK = 500;

/** Inserts the rows with one COPY; any conflict fails it (and the transaction it is in). */
export async function copyRows(
  client: PoolClient,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<void> {
  if (rows.length === 0) return;
  function* chunks(): Generator<string> {
    for (let start = 0; start < rows.length; start += LINES_PER_CHUNK) {
      let chunk = '';
      const end = Math.min(rows.length, start + LINES_PER_CHUNK);
      for (let i = start; i < end; i++) chunk += copyLine(rows[i]);
      yield chunk;
    }
  }
  await pipeline(
    Readable.from(chunks()),
    client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}
