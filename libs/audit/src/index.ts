/**
 * The audit core (audit.md): canonical JSON, the per-course hash chain, access
 * record hashing, RFC 6962 Merkle trees with proofs (incremental, over a node
 * store port), signed checkpoints and the audit bundle. No HTTP, no Nest.
 */
export * from './canonical-json';
export * from './hashing';
export * from './chain';
export * from './access-record';
export * from './merkle';
export * from './merkle-tree';
export * from './sqlite-merkle-node-store';
export * from './postgres-merkle-node-store';
export * from './signing-key';
export * from './checkpoint';
export * from './bundle';
export * from './course-verification';
