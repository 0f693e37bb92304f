/** The IPT course domain: pure TypeScript, no Nest, no I/O. */
export * from './vocabulary';
export * from './events';
export * from './commands';
export * from './errors';
export * from './time';
export * from './instruments';
export * from './evolve';
export * from './command-checks';
export * from './decide';
export * from './codec';
