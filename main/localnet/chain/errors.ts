// Errors raised by the simulated chain. `status` is the HTTP status a handler should answer with
// (400 for a rejected transaction or bad input, 404 for an unknown object); `code` is a short stable tag.
export type ChainErrorCode =
  | 'bad-hex'
  | 'decode'
  | 'nonstandard'
  | 'duplicate'
  | 'missing-input'
  | 'spent'
  | 'double-spend'
  | 'overspend'
  | 'bad-value'
  | 'script'
  | 'non-final'
  | 'bad-address'
  | 'bad-amount'
  | 'not-found'
  | 'bad-snapshot';

export class ChainError extends Error {
  readonly code: ChainErrorCode;
  readonly status: number;
  constructor(code: ChainErrorCode, message: string, status = code === 'not-found' ? 404 : 400) {
    super(message);
    this.name = 'ChainError';
    this.code = code;
    this.status = status;
  }
}

/** The Bitcoin Core RPC code a node would answer a rejected sendrawtransaction with (Esplora and Insight echo it). */
export function rpcErrorCode(err: ChainError): number {
  switch (err.code) {
    case 'bad-hex':
    case 'decode':
      return -22;
    case 'missing-input':
    case 'spent':
      return -25;
    case 'duplicate':
      return -27;
    default:
      return -26;
  }
}
