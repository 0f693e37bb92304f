/**
 * The data folder holds PHI (the event log, read models) and secrets: the
 * folder is 0700 and every file in it 0600, whatever the umask. SQLite gives
 * its -wal and -shm files the mode of the database file, so creating that
 * file 0600 before SQLite opens it covers all three.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and parents) owner-only, and narrows an existing one. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` owner-only if it is missing and narrows it (and an SQLite
 * database's -wal and -shm beside it) if it exists, before anything opens it.
 */
export function ensurePrivateFile(file: string): void {
  ensurePrivateDir(path.dirname(file));
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const name of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      fs.chmodSync(name, PRIVATE_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
