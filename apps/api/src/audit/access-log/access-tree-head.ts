/**
 * The `access` tree's head and proofs, as the checkpoint signer reads them
 * (audit.md §2): one token, defined beside the signer in @ipt/projections and
 * provided here by the access log (AccessLogStore).
 */
export { ACCESS_TREE_HEAD } from '@ipt/projections';
export type { AccessTreeHead } from './access-log.store';
