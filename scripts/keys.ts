/**
 * npm run keys -- <command>: operations on the PHI key store (privacy.md).
 *
 *   rotate-kek   re-wraps every course data key under a new key-encryption key
 *                without touching an event. Embedded mode (no PHI_KEK): a new
 *                KEK is written to DATA_DIR/phi-kek.next, every key re-wrapped
 *                in one transaction, then the file replaces DATA_DIR/phi-kek
 *                (an interrupted rotation is finished by running it again; the
 *                service reads both files meanwhile). With PHI_KEK: give the new
 *                one as PHI_KEK_NEW, then restart the service with PHI_KEK set
 *                to it. Run it while the service is stopped.
 *   status       how many live keys each KEK id wraps.
 *
 * Prints counts and KEK ids only, never a key. Exit 0: done; 1: failed; 2: cannot run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig, type AppConfig } from '@ipt/config';
import {
  KEK_FILE,
  NEXT_KEK_FILE,
  SqliteKeyStore,
  kekFrom,
  resolveKeyring,
  writeNewKekFile,
  type Kek,
} from '@ipt/privacy';

const CANNOT_RUN = 2;

async function rotate(config: AppConfig): Promise<number> {
  if (config.phiKek) {
    if (!config.phiKekNew) return cannotRun('PHI_KEK is set: give the new KEK as PHI_KEK_NEW');
    const next = kekFrom(config.phiKekNew);
    const store = new SqliteKeyStore(config.phiKeyStore, [kekFrom(config.phiKek)]);
    try {
      const { rewrapped } = await store.rotateKek(next);
      print({ rewrapped, kekId: next.id, keysByKek: await store.keysByKek() });
      process.stderr.write(
        'now restart the service with PHI_KEK set to the value of PHI_KEK_NEW\n',
      );
    } finally {
      await store.close();
    }
    return 0;
  }
  const kekDir = path.dirname(config.phiKeyStore);
  const nextFile = path.join(kekDir, NEXT_KEK_FILE);
  // An earlier rotation that stopped half way is finished with the KEK it had drawn.
  const keyring = resolveKeyring(undefined, kekDir);
  const next: Kek = fs.existsSync(nextFile) ? keyring[0] : writeNewKekFile(nextFile);
  const store = new SqliteKeyStore(config.phiKeyStore, [...keyring, next]);
  try {
    const { rewrapped } = await store.rotateKek(next);
    // Every key is wrapped by the new KEK now: it becomes the KEK, the old one is gone.
    fs.renameSync(nextFile, path.join(kekDir, KEK_FILE));
    print({ rewrapped, kekId: next.id, keysByKek: await store.keysByKek() });
  } finally {
    await store.close();
  }
  return 0;
}

async function status(config: AppConfig): Promise<number> {
  const keyring = config.phiKek
    ? [kekFrom(config.phiKek)]
    : resolveKeyring(undefined, path.dirname(config.phiKeyStore));
  const store = new SqliteKeyStore(config.phiKeyStore, keyring);
  try {
    print({ kekId: keyring[0].id, keysByKek: await store.keysByKek() });
  } finally {
    await store.close();
  }
  return 0;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function cannotRun(message: string): number {
  process.stderr.write(`${message}\n`);
  return CANNOT_RUN;
}

async function main(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return cannotRun(error.message);
    throw error;
  }
  const command = process.argv[2];
  if (command === 'rotate-kek') return rotate(config);
  if (command === 'status') return status(config);
  return cannotRun('usage: npm run keys -- rotate-kek | status');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A message, never a stack of values: nothing here holds PHI, but keys must not leak either.
    process.stderr.write(`keys: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
