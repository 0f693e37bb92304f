/**
 * The key-encryption key (privacy.md): `PHI_KEK` (base64, 32 bytes) from the
 * configuration, or in the embedded mode one generated on first start into
 * `DATA_DIR/phi-kek` (mode 600), like the JWT secret. A `phi-kek.next` beside
 * it is a rotation that `npm run keys -- rotate-kek` has not finished: both
 * unwrap until it has.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePrivateDir } from '@ipt/config';
import { KEY_BYTES, kekFrom, type Kek } from './phi-crypto';

export const KEK_FILE = 'phi-kek';
export const NEXT_KEK_FILE = 'phi-kek.next';

/** The 32 bytes of a base64 KEK; throws (without the value) when it is not one. */
export function parseKek(text: string): Buffer {
  const bytes = Buffer.from(text.trim(), 'base64');
  if (bytes.length !== KEY_BYTES) throw new Error(`a KEK must be base64 of ${KEY_BYTES} bytes`);
  return bytes;
}

/** Writes a new random KEK to `file` (0600); refuses to overwrite one. */
export function writeNewKekFile(file: string): Kek {
  ensurePrivateDir(path.dirname(file));
  const key = crypto.randomBytes(KEY_BYTES);
  fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return kekFrom(key);
}

function readKekFile(file: string): Kek | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    // A file an older version or an operator left wider is narrowed, like every file of the folder.
    fs.chmodSync(file, 0o600);
    return kekFrom(parseKek(text));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The keyring: the current KEK first, then one a rotation left unfinished. */
export function resolveKeyring(configured: Buffer | undefined, dataDir: string): Kek[] {
  if (configured) return [kekFrom(configured)];
  const file = path.join(dataDir, KEK_FILE);
  let current = readKekFile(file);
  if (!current) {
    try {
      current = writeNewKekFile(file);
    } catch (error) {
      // Two processes starting at once: the first KEK wins.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      current = readKekFile(file)!;
    }
  }
  const next = readKekFile(path.join(dataDir, NEXT_KEK_FILE));
  return next ? [next, current] : [current];
}
