// User identity (PROTOCOL §1): WIF key → public key → userid, and with the server key → serverAddress,
// 2-of-2 redeem script and P2SH accountid. Error messages never contain the WIF or the private key.
import { randomBytes } from 'node:crypto';
import bs58check from 'bs58check';
import * as ecc from 'tiny-secp256k1';
import { address as btcAddress, networks, type Network } from 'bitcoinjs-lib';
import { fromHex, hash160, isHex, toHex } from './hash';

export type NetworkName = 'bitcoin' | 'testnet';

export interface ParsedWif {
  network: NetworkName;
  privateKey: Uint8Array;
  /** 33-byte compressed public key */
  publicKey: Uint8Array;
}

export interface Identity {
  network: NetworkName;
  /** compressed public key, lowercase hex */
  publicKey: string;
  /** P2PKH address of publicKey */
  userid: string;
  /** present when a server public key was given */
  serverPublicKey?: string;
  serverAddress?: string;
  redeem?: string;
  accountid?: string;
}

const VERSIONS = {
  bitcoin: { wif: 0x80, p2pkh: 0x00, p2sh: 0x05 },
  testnet: { wif: 0xef, p2pkh: 0x6f, p2sh: 0xc4 },
} as const;

const BASE58_RE = /^[1-9A-HJ-NP-Za-km-z]+$/;

function checkNetwork(network: NetworkName): void {
  if (network !== 'bitcoin' && network !== 'testnet') throw new Error(`Unknown network: ${String(network)}`);
}

export function bitcoinjsNetwork(network: NetworkName): Network {
  checkNetwork(network);
  return network === 'bitcoin' ? networks.bitcoin : networks.testnet;
}

/**
 * Decodes a compressed-key WIF. Each failure says what is wrong (§8.16 for uncompressed keys)
 * without echoing the input.
 */
export function parseWif(wif: string): ParsedWif {
  if (typeof wif !== 'string' || wif.length === 0) throw new Error('Invalid WIF: empty or not a string');
  const text = wif.trim();
  if (!BASE58_RE.test(text)) throw new Error('Invalid WIF: malformed base58 (unexpected character)');
  const payload = bs58check.decodeUnsafe(text);
  if (payload === undefined) throw new Error('Invalid WIF: wrong checksum');
  const version = payload[0];
  let network: NetworkName;
  if (version === VERSIONS.bitcoin.wif) network = 'bitcoin';
  else if (version === VERSIONS.testnet.wif) network = 'testnet';
  else throw new Error('Invalid WIF: unknown version byte (not a mainnet or testnet private key)');
  if (payload.length === 33) {
    throw new Error('Unsupported WIF: uncompressed private key; only compressed keys are supported');
  }
  if (payload.length !== 34) throw new Error(`Invalid WIF: bad length (${payload.length} bytes decoded, expected 34)`);
  if (payload[33] !== 0x01) throw new Error('Invalid WIF: bad compression flag');
  const privateKey = payload.slice(1, 33);
  if (!ecc.isPrivate(privateKey)) throw new Error('Invalid WIF: private key out of range');
  const publicKey = ecc.pointFromScalar(privateKey, true);
  if (!publicKey) throw new Error('Invalid WIF: private key out of range');
  return { network, privateKey, publicKey };
}

export function encodeWif(privateKey: Uint8Array, network: NetworkName): string {
  checkNetwork(network);
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !ecc.isPrivate(privateKey)) {
    throw new Error('Invalid private key');
  }
  const payload = new Uint8Array(34);
  payload[0] = VERSIONS[network].wif;
  payload.set(privateKey, 1);
  payload[33] = 0x01;
  return bs58check.encode(payload);
}

export function generateWif(network: NetworkName): string {
  checkNetwork(network);
  for (;;) {
    const key = new Uint8Array(randomBytes(32));
    if (ecc.isPrivate(key)) return encodeWif(key, network);
  }
}

/** Validates a 33-byte compressed secp256k1 point given as hex; returns it lowercased. */
export function normalizePublicKey(pubHex: string, what = 'public key'): string {
  if (!isHex(pubHex, 33)) throw new Error(`Invalid ${what}: expected 66 hex characters (33-byte compressed key)`);
  const bytes = fromHex(pubHex);
  if (!ecc.isPointCompressed(bytes) || !ecc.isPoint(bytes)) {
    throw new Error(`Invalid ${what}: not a compressed secp256k1 point`);
  }
  return pubHex.toLowerCase();
}

export function p2pkhAddress(pubHex: string, network: NetworkName): string {
  checkNetwork(network);
  const pub = normalizePublicKey(pubHex);
  return encodeAddress(VERSIONS[network].p2pkh, hash160(fromHex(pub)));
}

export function p2shAddress(redeemHex: string, network: NetworkName): string {
  checkNetwork(network);
  if (!isHex(redeemHex) || redeemHex.length === 0) throw new Error('Invalid redeem script: expected hex');
  return encodeAddress(VERSIONS[network].p2sh, hash160(fromHex(redeemHex)));
}

function encodeAddress(version: number, hash: Uint8Array): string {
  const payload = new Uint8Array(21);
  payload[0] = version;
  payload.set(hash, 1);
  return bs58check.encode(payload);
}

/** OP_2 <K1> <K2> OP_2 OP_CHECKMULTISIG with the keys sorted as lowercase hex strings (§1). */
export function multisigRedeem(pubA: string, pubB: string): string {
  const keys = [normalizePublicKey(pubA), normalizePublicKey(pubB)].sort();
  return `5221${keys[0]}21${keys[1]}52ae`;
}

type DecodedBase58 = { network: NetworkName; kind: 'p2pkh' | 'p2sh'; hash: Uint8Array };

/** Decodes a Base58Check P2PKH/P2SH address; undefined when it is not one. */
export function decodeBase58Address(address: string): DecodedBase58 | undefined {
  if (typeof address !== 'string' || !BASE58_RE.test(address)) return undefined;
  const payload = bs58check.decodeUnsafe(address);
  if (!payload || payload.length !== 21) return undefined;
  const hash = payload.slice(1);
  for (const network of ['bitcoin', 'testnet'] as const) {
    if (payload[0] === VERSIONS[network].p2pkh) return { network, kind: 'p2pkh', hash };
    if (payload[0] === VERSIONS[network].p2sh) return { network, kind: 'p2sh', hash };
  }
  return undefined;
}

/** Network of a Base58Check P2PKH/P2SH address (userid, serverAddress, accountid). */
export function networkOf(address: string): NetworkName {
  const decoded = decodeBase58Address(address);
  if (!decoded) throw new Error('Invalid address: not a Base58Check P2PKH or P2SH address');
  return decoded.network;
}

/** True when `address` is a P2PKH userid of some network. */
export function isUserid(address: unknown): address is string {
  return typeof address === 'string' && decodeBase58Address(address)?.kind === 'p2pkh';
}

/**
 * A payable address on `network`: Base58Check P2PKH/P2SH (all Coinpit account addresses are these),
 * or a segwit v0 (P2WPKH/P2WSH) / v1 (P2TR) address with that network's bech32 prefix.
 */
export function isValidAddress(address: string, network: NetworkName): boolean {
  checkNetwork(network);
  if (typeof address !== 'string' || address.length === 0 || address.length > 100) return false;
  const decoded = decodeBase58Address(address);
  if (decoded) return decoded.network === network;
  let segwit: ReturnType<typeof btcAddress.fromBech32>;
  try {
    segwit = btcAddress.fromBech32(address);
  } catch {
    return false;
  }
  if (segwit.prefix !== bitcoinjsNetwork(network).bech32) return false;
  if (segwit.version === 0) return segwit.data.length === 20 || segwit.data.length === 32;
  if (segwit.version === 1) return segwit.data.length === 32 && ecc.isXOnlyPoint(segwit.data);
  return false;
}

/**
 * The identity of a user key; with the per-user server key (from GET /auth/:publicKey) also the
 * margin address (serverAddress), the 2-of-2 redeem script and the multisig address (accountid).
 */
export function identity(wif: string, serverPublicKey?: string): Identity {
  const { network, publicKey } = parseWif(wif);
  const pub = toHex(publicKey);
  const result: Identity = { network, publicKey: pub, userid: p2pkhAddress(pub, network) };
  if (serverPublicKey !== undefined) {
    const server = normalizePublicKey(serverPublicKey, 'server public key');
    const redeem = multisigRedeem(pub, server);
    result.serverPublicKey = server;
    result.serverAddress = p2pkhAddress(server, network);
    result.redeem = redeem;
    result.accountid = p2shAddress(redeem, network);
  }
  return result;
}
