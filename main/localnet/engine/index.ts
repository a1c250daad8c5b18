// Public surface of the local exchange's matching engine and account book.
export { Engine } from './engine';
export type { EngineOptions, EngineSnapshot, ExpireResult, PatchInput, Settlement, UpdateItem } from './engine';
export type { EngineError, EngineEvent, Outcome } from './types';
export { BTCUSD_TEMPLATE, DEFAULT_CONFIG, listedExpiries, weeklyInstrument } from './listing';
