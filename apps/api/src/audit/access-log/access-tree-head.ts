/**
 * The `access` tree's head and proofs, as the checkpoint signer reads them
 * (audit.md §2): `{ head(): {size, root}, inclusionProof(leafIndex, size) }`.
 * Provided by the access log (AccessLogStore).
 */
export const ACCESS_TREE_HEAD = Symbol('AccessTreeHead');
export type { AccessTreeHead } from './access-log.store';
