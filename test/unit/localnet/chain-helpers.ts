// Shared fixtures for the chain tests: deterministic keys, addresses and a funded chain.
import { createHash } from 'node:crypto';
import { networks, Transaction } from 'bitcoinjs-lib';
import { ECPairFactory, type ECPairInterface } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { Chain } from '../../../main/localnet/chain/chain';
import { buildSpend, type SpendUtxo } from '../../../main/localnet/chain/build';
import { multisigRedeem, p2pkhAddress, p2shAddress } from '../../../main/localnet/chain/script';

export const ECPair = ECPairFactory(ecc);

export function key(label: string): ECPairInterface {
  const d = createHash('sha256').update(label).digest();
  return ECPair.fromPrivateKey(new Uint8Array(d), { network: networks.testnet });
}

export const alice = key('alice');
export const bob = key('bob');
export const server = key('server');
export const mallory = key('mallory');

export const aliceAddr = p2pkhAddress(alice.publicKey);
export const bobAddr = p2pkhAddress(bob.publicKey);
export const serverAddr = p2pkhAddress(server.publicKey);
export const malloryAddr = p2pkhAddress(mallory.publicKey);
export const redeem = multisigRedeem(alice.publicKey, server.publicKey);
export const multisigAddr = p2shAddress(redeem);

export const T0 = 1_700_000_000_000;
export const BTC = 100_000_000;

/** A chain with one confirmed faucet payment to `address`; returns the chain and that UTXO. */
export function funded(address: string, amount = BTC, chain = new Chain({ genesisTime: T0 })): { chain: Chain; utxo: SpendUtxo } {
  const { txid } = chain.faucet(address, amount, T0 + 1000);
  return { chain, utxo: { txid, vout: 0, value: amount, address } };
}

/** An unsigned one-input spend of `utxo` paying `value` to `to` (change back, fee from feePerKB). */
export function unsigned(utxo: SpendUtxo, to: string, value: number): Transaction {
  return buildSpend({ utxos: [utxo], outputs: [{ address: to, value }] }).tx;
}
