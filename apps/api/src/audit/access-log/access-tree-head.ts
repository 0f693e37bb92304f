/**
 * The `access` tree's head, as the checkpoint signer reads it (audit.md §2):
 * one token, defined beside the signer in @ipt/projections and provided here
 * by the configured access log (ACCESS_LOG).
 */
export { ACCESS_TREE_HEAD, type AccessTreeHead } from '@ipt/projections';
