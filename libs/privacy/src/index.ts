/** PHI encrypted per course, erasure by destroying the key (privacy.md). */
export * from './phi-crypto';
export * from './key-store.port';
export * from './sqlite-key-store';
export * from './phi-vault';
export * from './kek';
export * from './erasure-fence';
export * from './postgres-key-store';
export * from './configured-key-store';
