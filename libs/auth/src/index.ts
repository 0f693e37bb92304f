export * from './tokens';
export * from './jwks-verifier';
