export * from './events-tree';
export * from './checkpoints';
export * from './checkpoint-topic';
export * from './audit-ledger';
export * from './verify-store';
