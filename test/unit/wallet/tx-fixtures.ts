// Shared fixtures for the wallet tests: the loginless Account vector (user key + the server key whose WIF the
// vector also gives, so tests can play the server), fake previous transactions, and server-made transactions
// signed by the local chain's own signer (independent of main/wallet/multisig.ts).
import { Transaction } from 'bitcoinjs-lib';
import ids from '../../fixtures/vectors/identity_multisig.json';
import { identity } from '../../../main/coinpit/identity';
import { fromHex } from '../../../main/coinpit/hash';
import { signMultisigInput } from '../../../main/localnet/chain';
import { outputScript, walletAccount, type WalletAccount } from '../../../main/wallet/account';
import { signerFromWif, type Signer } from '../../../main/wallet/multisig';
import { SERVER_TX, unsignedTx, type Outpoint, type TxTemplate } from '../../../main/wallet/txbuild';

const v = ids.loginless_Account;
export const USER_WIF = v.account.userPrivateKey;
export const SERVER_WIF = v.peer2.privateKey;
export const SERVER_PUB = v.account.serverPublicKey;
export const account: WalletAccount = walletAccount(identity(USER_WIF, SERVER_PUB));
export const user = signerFromWif(USER_WIF);
export const server = signerFromWif(SERVER_WIF);
export const redeemBytes = fromHex(account.redeem);
/** an address that belongs to neither the user nor the server */
export const STRANGER = ids.bitcoinutil_addresses.address.address;
export const MAINNET_ADDRESS = ids.bitcoinutil_addresses.bitcoin.address;

export interface Funded extends Outpoint {
  prevTx: string;
}

let counter = 0;

/** A fake previous transaction paying `outputs`; deterministic per call order. */
export function fundingTx(outputs: { address: string; value: number }[]): { hex: string; txid: string } {
  counter += 1;
  const tx = new Transaction();
  tx.version = 2;
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(0, counter);
  hash[31] = 0xee;
  tx.addInput(hash, 0);
  for (const o of outputs) tx.addOutput(outputScript(o.address, 'testnet'), BigInt(o.value));
  return { hex: tx.toHex(), txid: tx.getId() };
}

/** UTXOs of the account multisig with their previous transactions. */
export function fundAccount(values: number[], address: string = account.accountid): Funded[] {
  return values.map((value) => {
    // a second output so vout is not always 0
    const f = fundingTx([{ address: STRANGER, value: 1000 }, { address, value }]);
    return { txid: f.txid, vout: 1, value, prevTx: f.hex };
  });
}

export function prevTxsOf(list: readonly Funded[]): Record<string, string> {
  return Object.fromEntries(list.map((f) => [f.txid, f.prevTx]));
}

export function outpoints(list: readonly Funded[]): Outpoint[] {
  return list.map(({ txid, vout, value }) => ({ txid, vout, value }));
}

/** Recovery fee per §8.9 with recoveryFeePerKB 25000 and the §6.2 size estimate. */
export function recoveryFee(nIn: number, feePerKB = 25000): number {
  return Math.round((feePerKB * (nIn * 250 + 34 + 10)) / 1000);
}

export interface ServerTxOptions {
  inputs: readonly Outpoint[];
  outputs: { address: string; value: number }[];
  template?: TxTemplate;
  /** sign the server's half (default true) */
  sign?: boolean;
  signer?: Signer;
}

/** A server-made transaction (withdrawtx/recoverytx shape), server half signed by the local chain's signer. */
export function serverTx(opts: ServerTxOptions): Transaction {
  const tx = unsignedTx(
    opts.inputs,
    opts.outputs.map((o) => ({ script: outputScript(o.address, 'testnet'), value: o.value })),
    opts.template ?? SERVER_TX,
  );
  if (opts.sign !== false) {
    for (let i = 0; i < tx.ins.length; i++) signMultisigInput(tx, i, redeemBytes, opts.signer ?? server);
  }
  return tx;
}

/** The honest recovery of `funded`: everything to the user's userid minus the recovery fee. */
export function honestRecovery(funded: readonly Funded[]): { tx: Transaction; fee: number } {
  const fee = recoveryFee(funded.length);
  const total = funded.reduce((s, f) => s + f.value, 0);
  return { tx: serverTx({ inputs: funded, outputs: [{ address: account.userid, value: total - fee }] }), fee };
}

/** A signer that counts how often it is used, to prove a refused review signs nothing. */
export function countingSigner(inner: Signer): Signer & { calls: number } {
  const s = {
    publicKey: inner.publicKey,
    calls: 0,
    sign(hash: Uint8Array): Uint8Array {
      s.calls += 1;
      return inner.sign(hash);
    },
  };
  return s;
}
