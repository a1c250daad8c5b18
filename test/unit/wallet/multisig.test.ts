import { describe, expect, it } from 'vitest';
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import vectors from '../../fixtures/vectors/txutil.json';
import { toHex } from '../../../main/coinpit/hash';
import { Chain, multisigSignatures, signMultisigInput } from '../../../main/localnet/chain';
import {
  buildScriptSig,
  combineSignatures,
  parseRedeem,
  readScriptSig,
  signerFromWif,
  signInput,
  Sighasher,
  signTransaction,
  slotOf,
  stripScriptSigs,
  verifyInput,
  verifyTransaction,
} from '../../../main/wallet/multisig';
import { buildMarginIn, filterUnspents } from '../../../main/wallet/txbuild';
import { account, fundAccount, honestRecovery, redeemBytes, server, serverTx, user } from './tx-fixtures';

const redeem = parseRedeem(account.redeem);

describe('bitcoinutil sign vectors (§6.6)', () => {
  it.each(vectors.bitcoinutil_sign.cases.map((c, i) => ({ ...c, i })))('case $i reproduces the reference scriptSigs', (c) => {
    const r = parseRedeem(c.redeem);
    const signer = signerFromWif(c.privateKey);
    const layout = vectors.bitcoinutil_sign.derived_layout[c.i]!;
    expect(toHex(signer.publicKey)).toBe(layout.signer_pubkey);
    const { tx, complete } = signTransaction(Transaction.fromHex(c.tx), r, signer);
    expect(tx.toHex()).toBe(c.expected);
    expect(complete).toBe(layout.after.includes('<sig key#1> <sig key#2>'));
  });

  it('keeps the co-signer slot and reports both slots valid after signing', () => {
    const c = vectors.bitcoinutil_sign.cases[0]!;
    const r = parseRedeem(c.redeem);
    const before = verifyTransaction(Transaction.fromHex(c.tx), r);
    expect(before.inputs.map((i) => i.slots.map((s) => s.valid))).toEqual([
      [true, false],
      [true, false],
    ]);
    const after = verifyTransaction(Transaction.fromHex(c.expected), r);
    expect(after.complete).toBe(true);
  });
});

describe('Sighasher', () => {
  it('equals Transaction.hashForSignature (vectors, and 300 inputs for the 0xfd varint)', () => {
    const txs = vectors.bitcoinutil_sign.cases.map((c) => Transaction.fromHex(c.tx));
    const many = serverTx({ inputs: fundAccount(Array.from({ length: 300 }, (_, i) => 20000 + i)), outputs: [{ address: account.userid, value: 5 }], sign: false });
    many.locktime = 0xfffffff0;
    txs.push(many);
    for (const tx of txs) {
      const h = new Sighasher(tx);
      for (const i of [0, 1, tx.ins.length - 1]) {
        expect(toHex(h.hash(i, redeem.script))).toBe(toHex(tx.hashForSignature(i, redeem.script, Transaction.SIGHASH_ALL)));
        expect(toHex(h.hash(i, redeem.script, 0x81))).toBe(toHex(tx.hashForSignature(i, redeem.script, 0x81)));
      }
    }
    expect(() => new Sighasher(txs[0]!).hash(9, redeem.script)).toThrow(/No input #9/);
  });
});

describe('redeem and scriptSig parsing', () => {
  it('parses the account redeem in key order', () => {
    expect(redeem.hex).toBe(account.redeem);
    expect(slotOf(redeem, server.publicKey)).toBe(0); // 020a5a… sorts before 02a40f…
    expect(slotOf(redeem, user.publicKey)).toBe(1);
    expect(slotOf(redeem, signerFromWif(vectors.bitcoinutil_sign.cases[1]!.privateKey).publicKey)).toBe(-1);
  });

  it('rejects anything but a 2-of-2 of valid compressed keys', () => {
    expect(() => parseRedeem('zz')).toThrow(/hex/);
    expect(() => parseRedeem(account.redeem.slice(0, -2))).toThrow(/not a 2-of-2/);
    expect(() => parseRedeem(account.redeem.replace(/^52/, '51'))).toThrow(/not a 2-of-2/);
    const badKey = `522103${'ff'.repeat(32)}${account.redeem.slice(70)}`;
    expect(() => parseRedeem(badKey)).toThrow(/invalid public key/);
  });

  it('reads empty, partial and full scriptSigs and refuses foreign layouts', () => {
    expect(readScriptSig(new Uint8Array(0), redeem)).toEqual([null, null]);
    const sig = new Uint8Array(71).fill(7);
    const half = buildScriptSig([null, sig], redeem);
    expect(readScriptSig(half, redeem)).toEqual([null, sig]);
    expect(buildScriptSig([null, null], redeem)).toHaveLength(0);
    const other = parseRedeem(vectors.bitcoinutil_sign.cases[1]!.redeem);
    expect(() => readScriptSig(buildScriptSig([sig, null], other), redeem)).toThrow(/different redeem/);
    expect(() => readScriptSig(bscript.compile([sig, user.publicKey]), redeem)).toThrow(/not of the form/);
    expect(() => readScriptSig(Uint8Array.of(0x4c), redeem)).toThrow(/not a valid script/);
  });
});

describe('signing and verification', () => {
  const funded = fundAccount([250000, 150000]);

  it('signs only the user slot and leaves the server slot empty', () => {
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 390000 }], sign: false });
    const { tx: signed, complete } = signTransaction(tx, redeem, user);
    expect(complete).toBe(false);
    for (const c of verifyTransaction(signed, redeem).inputs) {
      expect(c.slots.map((s) => [s.present, s.valid])).toEqual([
        [false, false],
        [true, true],
      ]);
    }
    expect(tx.ins[0]!.script).toHaveLength(0); // the input transaction is not mutated
  });

  it('co-signs a server-signed transaction into a complete one that the chain code agrees with', () => {
    const { tx } = honestRecovery(funded);
    const { tx: signed, complete } = signTransaction(tx, redeem, user);
    expect(complete).toBe(true);
    for (let i = 0; i < signed.ins.length; i++) expect(multisigSignatures(signed, i, redeemBytes).complete).toBe(true);
  });

  it('detects a tampered signature and a signature over another transaction', () => {
    const { tx } = honestRecovery(funded);
    const [s0] = readScriptSig(tx.ins[0]!.script, redeem);
    const bad = Uint8Array.from(s0!);
    bad[10] = bad[10]! ^ 1;
    const t1 = tx.clone();
    t1.setInputScript(0, buildScriptSig([bad, null], redeem));
    const c1 = verifyInput(t1, 0, redeem).slots[0];
    expect(c1.present).toBe(true);
    expect(c1.valid).toBe(false);

    const t2 = tx.clone();
    t2.outs[0]!.value -= 1n; // the server signature no longer covers this transaction
    expect(verifyInput(t2, 0, redeem).slots[0]).toMatchObject({ present: true, valid: false, reason: 'signature does not verify' });

    const t3 = tx.clone();
    const s = Uint8Array.from(s0!);
    s[s.length - 1] = 0x05; // undefined hash type
    t3.setInputScript(0, buildScriptSig([s, null], redeem));
    expect(verifyInput(t3, 0, redeem).slots[0].reason).toMatch(/strict DER/);
  });

  it('re-signing replaces an invalid user signature', () => {
    const { tx } = honestRecovery(funded);
    const t = tx.clone();
    const [s0] = readScriptSig(t.ins[0]!.script, redeem);
    t.setInputScript(0, buildScriptSig([s0!, new Uint8Array(70).fill(3)], redeem));
    signInput(t, 0, redeem, user);
    expect(verifyInput(t, 0, redeem).complete).toBe(true);
  });

  it('refuses a key that is not in the redeem script', () => {
    const stranger = signerFromWif(vectors.bitcoinutil_sign.cases[1]!.privateKey);
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 1 }], sign: false });
    expect(() => signTransaction(tx, redeem, stranger)).toThrow(/not one of the redeem script keys/);
  });

  it('combines a user-signed and a server-signed copy of the same transaction', () => {
    const unsigned = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 390000 }], sign: false });
    const mine = signTransaction(unsigned, redeem, user).tx;
    const theirs = unsigned.clone();
    for (let i = 0; i < theirs.ins.length; i++) signMultisigInput(theirs, i, redeemBytes, server);
    const both = combineSignatures(mine, theirs, redeem);
    expect(verifyTransaction(both, redeem).complete).toBe(true);
    expect(stripScriptSigs(both).toHex()).toBe(unsigned.toHex());
    const other = unsigned.clone();
    other.locktime = 5;
    expect(() => combineSignatures(mine, other, redeem)).toThrow(/differ beyond their signatures/);
  });

  it('a signer never reveals its private key when printed', () => {
    expect(JSON.stringify(user)).not.toContain('cQhx');
    expect(String(user)).toMatch(/^\[Signer 02a40f/);
  });
});

describe('accepted by the local chain script checks', () => {
  it('margin-in built, user-signed, server-co-signed and mined', () => {
    const chain = new Chain();
    let now = 1_700_000_000_000;
    chain.faucet(account.accountid, 300000, now);
    chain.faucet(account.accountid, 200000, (now += 1000));
    chain.mine(1, (now += 1000));
    const unspents = filterUnspents(chain.utxos(account.accountid));
    const built = buildMarginIn(account, unspents, { feePerKB: 50000, dust: 10000, amount: 350000 });
    const userSigned = signTransaction(built.tx, redeem, user).tx;
    // half-signed: the chain refuses it
    expect(() => chain.submit(userSigned.toHex(), (now += 1000))).toThrow(/1 of 2 signatures/);
    for (let i = 0; i < userSigned.ins.length; i++) signMultisigInput(userSigned, i, redeemBytes, server);
    const txid = chain.submit(userSigned.toHex(), (now += 1000));
    chain.mine(1, (now += 1000));
    expect(chain.txStatus(txid)?.confirmed).toBe(true);
    expect(chain.balance(account.serverAddress).confirmed).toBe(350000);
    expect(chain.balance(account.accountid).confirmed).toBe(500000 - 350000 - built.fee);
  });
});
