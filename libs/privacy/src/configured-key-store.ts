import type { Pool } from 'pg';
import type { KeyStore } from './key-store.port';
import { kekFrom } from './phi-crypto';
import { PostgresKeyStore } from './postgres-key-store';
import { SqliteKeyStore } from './sqlite-key-store';

/**
 * The process's key store: in the shared database when there is one (every
 * instance must open every course), else `PHI_KEY_STORE` (DATA_DIR/keys.sqlite).
 */
export function configuredKeyStore(
  config: { phiKeyStore: string; phiKek?: Buffer },
  shared?: Pool | null,
): KeyStore {
  if (!shared) return SqliteKeyStore.configured(config);
  // The configuration refuses DATABASE_URL without PHI_KEK for processes that open keys.
  if (!config.phiKek) throw new Error('PHI_KEK is required with DATABASE_URL');
  return new PostgresKeyStore(shared, [kekFrom(config.phiKek)]);
}
