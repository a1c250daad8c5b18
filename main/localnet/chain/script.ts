// Script and address helpers for the simulated chain (testnet address formats only).
// Output scripts are classified by exact byte pattern so no ECC library is needed to name an address.
// Hex, byte and Coinpit address helpers are the protocol library's (main/coinpit); the byte-oriented testnet
// forms below only adapt them.
import { address as baddress, opcodes, script as bscript } from 'bitcoinjs-lib';
import { bytesEqual, fromHex, isHex, toHex } from '../../coinpit/hash';
import * as identity from '../../coinpit/identity';
import { ChainError } from './errors';

export { bytesEqual, fromHex, isHex, toHex };

export const TESTNET_P2PKH = 0x6f;
export const TESTNET_P2SH = 0xc4;
export const TESTNET_HRP = 'tb';

export type OutputType = 'p2pkh' | 'p2sh' | 'v0_p2wpkh' | 'v0_p2wsh' | 'v1_p2tr' | 'op_return' | 'nonstandard';

export interface ClassifiedOutput {
  type: OutputType;
  /** hash160 (p2pkh/p2sh) or witness program */
  hash?: Uint8Array;
  address?: string;
}

/** A 64-hex txid (the form Esplora and Insight use in paths). */
export function isTxid(s: string): boolean {
  return isHex(s, 32);
}

export function classifyOutput(script: Uint8Array): ClassifiedOutput {
  const n = script.length;
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
    const hash = script.slice(3, 23);
    return { type: 'p2pkh', hash, address: baddress.toBase58Check(hash, TESTNET_P2PKH) };
  }
  if (n === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) {
    const hash = script.slice(2, 22);
    return { type: 'p2sh', hash, address: baddress.toBase58Check(hash, TESTNET_P2SH) };
  }
  if (n === 22 && script[0] === 0x00 && script[1] === 0x14) {
    const hash = script.slice(2);
    return { type: 'v0_p2wpkh', hash, address: baddress.toBech32(hash, 0, TESTNET_HRP) };
  }
  if (n === 34 && script[0] === 0x00 && script[1] === 0x20) {
    const hash = script.slice(2);
    return { type: 'v0_p2wsh', hash, address: baddress.toBech32(hash, 0, TESTNET_HRP) };
  }
  if (n === 34 && script[0] === 0x51 && script[1] === 0x20) {
    const hash = script.slice(2);
    return { type: 'v1_p2tr', hash, address: baddress.toBech32(hash, 1, TESTNET_HRP) };
  }
  if (n >= 1 && script[0] === opcodes.OP_RETURN && n <= 83) return { type: 'op_return' };
  return { type: 'nonstandard' };
}

export function p2pkhScript(hash160: Uint8Array): Uint8Array {
  return Uint8Array.from([0x76, 0xa9, 0x14, ...hash160, 0x88, 0xac]);
}

export function p2shScript(hash160: Uint8Array): Uint8Array {
  return Uint8Array.from([0xa9, 0x14, ...hash160, 0x87]);
}

/**
 * Output script of a testnet address (base58 m/n/2 or bech32 tb1). Throws ChainError('bad-address') for
 * anything else, mainnet addresses included.
 */
export function addressToScript(addr: string): Uint8Array {
  if (typeof addr !== 'string' || addr.length < 26 || addr.length > 90) {
    throw new ChainError('bad-address', 'Invalid Bitcoin address');
  }
  if (/^tb1/i.test(addr)) {
    let dec: { version: number; prefix: string; data: Uint8Array };
    try {
      dec = baddress.fromBech32(addr);
    } catch {
      throw new ChainError('bad-address', 'Invalid Bitcoin address');
    }
    if (dec.prefix !== TESTNET_HRP) throw new ChainError('bad-address', 'Invalid Bitcoin address');
    if (dec.version === 0 && (dec.data.length === 20 || dec.data.length === 32)) {
      return Uint8Array.from([0x00, dec.data.length, ...dec.data]);
    }
    if (dec.version === 1 && dec.data.length === 32) return Uint8Array.from([0x51, 0x20, ...dec.data]);
    throw new ChainError('bad-address', 'Invalid Bitcoin address');
  }
  let dec: { version: number; hash: Uint8Array };
  try {
    dec = baddress.fromBase58Check(addr);
  } catch {
    throw new ChainError('bad-address', 'Invalid Bitcoin address');
  }
  if (dec.version === TESTNET_P2PKH) return p2pkhScript(dec.hash);
  if (dec.version === TESTNET_P2SH) return p2shScript(dec.hash);
  throw new ChainError('bad-address', 'Invalid Bitcoin address (not a testnet address)');
}

export function isValidAddress(addr: string): boolean {
  try {
    addressToScript(addr);
    return true;
  } catch {
    return false;
  }
}

/** Normalised form used as an index key (bech32 lower-cased; base58 is case-sensitive). */
export function normalizeAddress(addr: string): string {
  return /^tb1/i.test(addr) ? addr.toLowerCase() : addr;
}

export function p2pkhAddress(pubkey: Uint8Array): string {
  return identity.p2pkhAddress(toHex(pubkey), 'testnet');
}

export function p2shAddress(redeem: Uint8Array): string {
  return identity.p2shAddress(toHex(redeem), 'testnet');
}

export interface MultisigRedeem {
  m: number;
  pubkeys: Uint8Array[];
}

/**
 * Parses `OP_m <K1> … <Kn> OP_n OP_CHECKMULTISIG`. Only 2-of-2 is accepted by the chain and the helpers
 * (PROTOCOL §1 `redeem`); anything else throws ChainError('nonstandard').
 */
export function parseMultisigRedeem(redeem: Uint8Array): MultisigRedeem {
  const chunks = bscript.decompile(redeem);
  const fail = (): never => {
    throw new ChainError('nonstandard', 'unsupported redeem script (only 2-of-2 multisig is accepted)');
  };
  if (!chunks || chunks.length !== 5) return fail();
  const [mOp, k1, k2, nOp, check] = chunks;
  if (mOp !== opcodes.OP_2 || nOp !== opcodes.OP_2 || check !== opcodes.OP_CHECKMULTISIG) return fail();
  if (!(k1 instanceof Uint8Array) || !(k2 instanceof Uint8Array)) return fail();
  if (!bscript.isCanonicalPubKey(k1) || !bscript.isCanonicalPubKey(k2)) return fail();
  return { m: 2, pubkeys: [k1, k2] };
}

/** The PROTOCOL §1 redeem script for two keys, sorted as hex strings (K1 < K2). */
export function multisigRedeem(pubkeyA: Uint8Array, pubkeyB: Uint8Array): Uint8Array {
  return fromHex(identity.multisigRedeem(toHex(pubkeyA), toHex(pubkeyB)));
}

export function scriptAsm(script: Uint8Array): string {
  try {
    return bscript.toASM(script);
  } catch {
    return '';
  }
}
