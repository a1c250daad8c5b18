// The simulated chain of the local exchange: state machine, tx helpers and the Esplora / Insight handlers.
export * from './errors';
export * from './script';
export * from './verify';
export * from './sign';
export * from './build';
export * from './chain';
export * from './http';
export * from './esplora';
export * from './insight';
