import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import bs58check from 'bs58check';
import { fromHex, toHex } from '../../../main/coinpit/hash';
import { generateWif } from '../../../main/coinpit/identity';
import { MoneyOperationRefused } from '../../../main/wallet/apikey-file';
import { ConfirmationRejected } from '../../../main/wallet/flows';
import { buildScriptSig, parseRedeem, signerFromWif, slotOf, verifyTransaction } from '../../../main/wallet/multisig';
import { RecoveryKeeper, utxoSetHash, type RecoveryRecord } from '../../../main/wallet/recovery';
import { ReviewRefused, type RefusalCode, type Review } from '../../../main/wallet/review';
import { FakeEsplora } from './fake-esplora';
import { FakeExchangeClient, MemoryChain } from './fake-chain';
import { account, countingSigner, fundAccount, honestRecovery, outpoints, recoveryFee, serverTx, STRANGER, user, USER_WIF, type Funded } from './tx-fixtures';

let dir: string;
let chain: MemoryChain;
let client: FakeExchangeClient;
let signer: ReturnType<typeof countingSigner>;
let funded: Funded[];
let clock = 1_700_000_000_000;

function keeper(extra: Partial<ConstructorParameters<typeof RecoveryKeeper>[0]> = {}): RecoveryKeeper {
  return new RecoveryKeeper({ account, client, chain, signer, dataDir: dir, now: () => clock, ...extra });
}

/** The exchange answers with the honest recovery of whatever the chain holds now. */
function honestServer(): void {
  client.recovery = () => {
    const list = (chain.utxos.get(account.accountid) ?? []).filter((u) => u.confirmed);
    const f = funded.filter((x) => list.some((u) => u.txid === x.txid && u.vout === x.vout));
    const { tx, fee } = honestRecovery(f);
    return { tx: tx.toHex(), fee, inputs: outpoints(f) };
  };
}

async function readRecord(k: RecoveryKeeper): Promise<RecoveryRecord> {
  return JSON.parse(await fs.readFile(k.file, 'utf8')) as RecoveryRecord;
}

async function refused(p: Promise<unknown>, code: RefusalCode): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ReviewRefused);
  expect((err as ReviewRefused).review.refusals.map((r) => r.code)).toContain(code);
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recovery-test-'));
  chain = new MemoryChain();
  client = new FakeExchangeClient();
  signer = countingSigner(user);
  funded = fundAccount([300000, 450000, 125000]);
  chain.fund(account.accountid, funded);
  honestServer();
  clock += 1000;
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('recovery: fetch, verify, co-sign, keep', () => {
  it('stores the fully signed transaction with what it covers', async () => {
    const k = keeper();
    expect(k.file).toBe(path.join(dir, `recovery-${account.accountid}.json`));
    const status = await k.refresh();
    const rec = await readRecord(k);
    const total = 875000;
    const fee = recoveryFee(3);
    expect(rec).toMatchObject({
      format: 'coinpit-desk/recovery',
      version: 1,
      network: 'testnet',
      accountid: account.accountid,
      userid: account.userid,
      covers: total,
      total,
      fee,
      inputs: outpoints(funded),
      createdAt: clock,
      utxoSetHash: utxoSetHash(outpoints(funded)),
    });
    const tx = Transaction.fromHex(rec.hex);
    expect(tx.getId()).toBe(rec.txid);
    expect(verifyTransaction(tx, parseRedeem(account.redeem)).complete).toBe(true);
    expect(tx.outs.map((o) => Number(o.value))).toEqual([total - fee]);
    expect(signer.calls).toBe(3);
    expect(status).toEqual({
      ready: true,
      covers: total,
      total,
      refreshedAt: clock,
      stale: false,
      checked: true,
      txid: rec.txid,
      fee,
      problem: null,
      summary: 'recovery ready: covers 0.00875 of 0.00875 BTC',
    });
    // written atomically: owner-only, no temporary file left behind
    expect((await fs.stat(k.file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual([path.basename(k.file)]);
  });

  it('status before anything is stored', async () => {
    const s = await keeper().status();
    expect(s).toMatchObject({ ready: false, covers: 0, total: 875000, refreshedAt: null, stale: false, txid: null, summary: 'recovery not ready' });
  });

  it('refreshes only when the multisig UTXO set changes', async () => {
    const k = keeper();
    expect((await k.refreshIfStale()).refreshed).toBe(true);
    expect((await k.refreshIfStale()).refreshed).toBe(false);
    expect(client.calls.filter((c) => c.method === 'recoveryTx')).toHaveLength(1);

    const more = fundAccount([200000]);
    funded.push(...more);
    chain.fund(account.accountid, more);
    const stale = await k.status();
    expect(stale).toMatchObject({ ready: false, stale: true, covers: 875000, total: 1075000 });
    expect(stale.summary).toMatch(/out of date/);

    const r = await k.refreshIfStale();
    expect(r.refreshed).toBe(true);
    expect(r.status).toMatchObject({ ready: true, stale: false, covers: 1075000, total: 1075000, summary: 'recovery ready: covers 0.01075 of 0.01075 BTC' });
    expect((await readRecord(k)).inputs).toHaveLength(4);
  });

  it('an unconfirmed deposit does not make the recovery stale (it spends confirmed coins only)', async () => {
    const k = keeper();
    await k.refresh();
    chain.fund(account.accountid, fundAccount([99999]), 0);
    expect((await k.refreshIfStale()).refreshed).toBe(false);
  });

  it('a partial recovery (the exchange left a UTXO out) is kept and says what it covers', async () => {
    client.recovery = () => {
      const f = funded.slice(0, 2);
      const { tx, fee } = honestRecovery(f);
      return { tx: tx.toHex(), fee, inputs: outpoints(f) };
    };
    const s = await keeper().refresh();
    expect(s).toMatchObject({ ready: true, covers: 750000, total: 875000, summary: 'recovery ready: covers 0.0075 of 0.00875 BTC' });
  });

  it('an empty multisig: nothing asked of the exchange, an old transaction is removed', async () => {
    const k = keeper();
    await k.refresh();
    chain.utxos.set(account.accountid, []);
    const s = await k.refresh();
    expect(s).toMatchObject({ ready: false, covers: 0, total: 0, refreshedAt: null, summary: 'recovery: nothing to recover (the multisig is empty)' });
    expect(client.calls.filter((c) => c.method === 'recoveryTx')).toHaveLength(1);
    await expect(fs.access(k.file)).rejects.toThrow();
  });

  it('when the chain cannot be reached, status reports the stored transaction as of its last check', async () => {
    const k = keeper();
    await k.refresh();
    chain.down = true;
    expect(await k.status()).toMatchObject({ ready: true, checked: false, stale: false, covers: 875000, total: 875000 });
  });
});

describe('recovery store: a corrupt file is kept aside and reported', () => {
  async function expectKeptAside(k: RecoveryKeeper, content: string, reason: RegExp): Promise<void> {
    await fs.writeFile(k.file, content);
    const s = await k.status();
    expect(s.ready).toBe(false);
    expect(s.problem).toMatch(reason);
    expect(s.problem).toMatch(/kept aside as recovery-.*\.json\.corrupt-\d+/);
    const aside = path.join(dir, `${path.basename(k.file)}.corrupt-${clock}`);
    expect(await fs.readFile(aside, 'utf8')).toBe(content);
    await expect(fs.access(k.file)).rejects.toThrow();
    // a fresh refresh works and clears the problem
    const again = await k.refresh();
    expect(again).toMatchObject({ ready: true, problem: null });
    await fs.rm(aside);
  }

  it('not JSON', async () => {
    await expectKeptAside(keeper(), '{"format": "coinpit-desk/recov', /not valid JSON/);
  });

  it('valid JSON of another shape', async () => {
    await expectKeptAside(keeper(), '[1,2,3]', /not a JSON object/);
  });

  it('signatures that no longer verify (the transaction was altered)', async () => {
    const k = keeper();
    await k.refresh();
    const rec = await readRecord(k);
    const tx = Transaction.fromHex(rec.hex);
    tx.outs[0]!.value -= 1n;
    const altered = { ...rec, hex: tx.toHex(), txid: tx.getId() };
    await expectKeptAside(k, JSON.stringify(altered), /signatures do not verify/);
  });

  it('txid or inputs that do not match the transaction', async () => {
    const k = keeper();
    await k.refresh();
    const rec = await readRecord(k);
    await expectKeptAside(k, JSON.stringify({ ...rec, txid: 'ab'.repeat(32) }), /"txid" does not match/);
    await k.refresh();
    await expectKeptAside(k, JSON.stringify({ ...rec, inputs: rec.inputs.slice(1) }), /"inputs" does not match/);
  });

  it('a record made for another account', async () => {
    const k = keeper();
    await k.refresh();
    const rec = await readRecord(k);
    await expectKeptAside(k, JSON.stringify({ ...rec, accountid: '2NEmYU7U5C2B8WMP7AceBV7KNPTip7C1dY6x' }), /another account/);
  });
});

describe('recovery: a hostile exchange is refused and nothing is signed or stored', () => {
  function serve(tx: Transaction, inputs = outpoints(funded)): void {
    client.recovery = () => ({ tx: tx.toHex(), fee: recoveryFee(inputs.length), inputs });
  }

  afterEach(async () => {
    expect(signer.calls).toBe(0);
    await expect(fs.access(path.join(dir, `recovery-${account.accountid}.json`))).rejects.toThrow();
  });

  it('recovery paying another address', async () => {
    const total = 875000;
    serve(serverTx({ inputs: funded, outputs: [{ address: STRANGER, value: total - recoveryFee(3) }] }));
    const k = keeper();
    await refused(k.refresh(), 'output-not-requested');
    expect((await k.status()).problem).toMatch(/last refresh failed: Refused to sign/);
  });

  it('an extra input that is not ours', async () => {
    const foreign = fundAccount([500000], STRANGER);
    chain.txs.set(foreign[0]!.txid, foreign[0]!.prevTx);
    const all = [...funded, ...foreign];
    serve(serverTx({ inputs: all, outputs: [{ address: account.userid, value: 1375000 - recoveryFee(4) }] }), outpoints(all));
    await refused(keeper().refresh(), 'input-not-account-utxo');
  });

  it('a fee over the maximum', async () => {
    serve(serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - 150000 }] }));
    await refused(keeper().refresh(), 'fee-above-maximum');
  });

  it('the user\'s own fee limit is stricter than the exchange\'s', async () => {
    await refused(keeper({ maximumFee: recoveryFee(3) - 1 }).refresh(), 'fee-above-maximum');
  });

  it('an input value lie', async () => {
    const lie = outpoints(funded).map((u, i) => (i === 0 ? { ...u, value: u.value + 50000 } : u));
    serve(honestRecovery(funded).tx, lie);
    await refused(keeper().refresh(), 'input-value-mismatch');
  });

  it('a bad server signature', async () => {
    // a valid signature, but by a stranger's key, in the server's slot
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - recoveryFee(3) }], sign: false });
    const redeem = parseRedeem(account.redeem);
    const serverSlot = slotOf(redeem, fromHex(account.serverPublicKey));
    const stranger = signerFromWif(generateWif('testnet'));
    const sig = bscript.signature.encode(stranger.sign(tx.hashForSignature(1, redeem.script, Transaction.SIGHASH_ALL)), Transaction.SIGHASH_ALL);
    tx.setInputScript(1, buildScriptSig(serverSlot === 0 ? [sig, null] : [null, sig], redeem));
    serve(tx);
    await refused(keeper().refresh(), 'bad-server-signature');
  });

  it('no server signature', async () => {
    serve(serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - recoveryFee(3) }], sign: false }));
    await refused(keeper().refresh(), 'missing-server-signature');
  });

  it('an exchange on another network', async () => {
    client.config_ = { ...client.config_, network: 'bitcoin' };
    await expect(keeper().refresh()).rejects.toThrow(/runs on bitcoin, but this account is on testnet/);
  });

  it('garbage instead of a transaction', async () => {
    client.recovery = () => ({ tx: 'nothex', fee: 0, inputs: [] });
    await expect(keeper().refresh()).rejects.toThrow(/does not decode/);
  });

  it('the user rejects the confirmation', async () => {
    const seen: string[] = [];
    const k = keeper({ confirmer: { confirm: async (r) => (seen.push(r.kind), false) } });
    await expect(k.refresh()).rejects.toBeInstanceOf(ConfirmationRejected);
    expect(seen).toEqual(['recovery']);
  });

  it('API-key mode is refused before any request', async () => {
    await expect(keeper({ mode: 'api-key' }).refresh()).rejects.toBeInstanceOf(MoneyOperationRefused);
    await expect(keeper({ mode: 'api-key' }).refreshIfStale()).rejects.toThrow(/recovery moves coins/);
    expect(client.calls).toHaveLength(0);
    expect(chain.calls).toHaveLength(0);
  });
});

describe('recovery: export and broadcast', () => {
  it('exports the hex or the JSON record', async () => {
    const k = keeper();
    await k.refresh();
    const rec = await readRecord(k);
    const hexFile = path.join(dir, 'out', 'recovery.hex');
    await fs.mkdir(path.dirname(hexFile));
    await k.export(hexFile);
    expect(await fs.readFile(hexFile, 'utf8')).toBe(`${rec.hex}\n`);
    const jsonFile = path.join(dir, 'out', 'recovery.json');
    await k.export(jsonFile);
    expect(JSON.parse(await fs.readFile(jsonFile, 'utf8'))).toEqual(rec);
  });

  it('export and broadcast without a stored transaction are clear errors', async () => {
    const k = keeper();
    await expect(k.export(path.join(dir, 'x.hex'))).rejects.toThrow(/No recovery transaction is stored/);
    await expect(k.broadcast()).rejects.toThrow(/No recovery transaction is stored/);
  });

  it('broadcasts through the keeper\'s chain or any Esplora URL', async () => {
    const k = keeper();
    await k.refresh();
    const rec = await readRecord(k);
    expect(await k.broadcast()).toBe(rec.txid);
    expect(chain.broadcasts).toEqual([rec.hex]);

    const esplora = await new FakeEsplora().start();
    try {
      esplora.handler = (method, p, body) => (method === 'POST' && p === '/tx' && body === rec.hex ? { status: 200, body: rec.txid } : { status: 400, body: 'bad' });
      expect(await k.broadcast(esplora.url, { backoffMs: 1 })).toBe(rec.txid);
      expect(esplora.requests).toHaveLength(1);
    } finally {
      await esplora.close();
    }
  });
});

describe('recovery: the review it was signed under is kept with it and survives a restart', () => {
  /** refresh with a confirmer that records what the user was shown */
  async function storeOne(extra: Partial<ConstructorParameters<typeof RecoveryKeeper>[0]> = {}): Promise<{ shown: Review; rec: RecoveryRecord }> {
    const shown: unknown[] = [];
    const k = keeper({ confirmer: { confirm: async (subject) => (shown.push(subject), true) }, ...extra });
    const s = await k.refresh();
    const rec = await readRecord(k);
    expect(s.txid).toBe(rec.txid);
    expect(shown).toHaveLength(1);
    const review = shown[0] as Review;
    expect(k.signedReview(rec.txid)).toEqual(review);
    return { shown: review, rec };
  }

  /** a new keeper on the same data directory: what a later run of the app sees */
  async function afterRestart(): Promise<RecoveryKeeper> {
    const k = keeper();
    const s = await k.status();
    expect(s).toMatchObject({ ready: true, problem: null });
    return k;
  }

  it('a new keeper on the same directory returns the review the transaction was signed under', async () => {
    const { shown, rec } = await storeOne();
    expect(shown).toMatchObject({ kind: 'recovery', ok: true, feeVerified: true, amount: 875000 - recoveryFee(3), fee: recoveryFee(3) });
    expect(rec.reviewed?.review).toEqual(shown);
    const k = keeper();
    expect(k.signedReview(rec.txid)).toBeNull(); // nothing read yet
    await k.status();
    expect(k.signedReview(rec.txid)).toEqual(shown);
    expect(k.signedReview(rec.txid)!.outputs).toEqual([expect.objectContaining({ address: account.userid, value: 875000 - recoveryFee(3), role: 'recovery' })]);
    // load() alone (as export and broadcast use it) is enough
    const k2 = keeper();
    await k2.load();
    expect(k2.signedReview(rec.txid)).toEqual(shown);
  });

  it('only for the stored transaction: another txid or none gets null', async () => {
    const { rec } = await storeOne();
    const k = await afterRestart();
    expect(k.signedReview('ab'.repeat(32))).toBeNull();
    expect(k.signedReview(null)).toBeNull();
    // the review's own txid is that of the transaction before the user's signature, not the stored one
    expect(k.signedReview(rec.reviewed!.review.txid)).toBeNull();
  });

  it('a partial recovery keeps its coverage and warning', async () => {
    client.recovery = () => {
      const f = funded.slice(0, 2);
      const { tx, fee } = honestRecovery(f);
      return { tx: tx.toHex(), fee, inputs: outpoints(f) };
    };
    const { shown, rec } = await storeOne();
    expect(shown.coverage).toEqual({ covered: 750000, total: 875000 });
    expect(shown.warnings).toEqual(['The recovery transaction covers 750000 of 875000 sat in the multisig']);
    expect((await afterRestart()).signedReview(rec.txid)).toEqual(shown);
  });

  it('a review made without the previous transactions (fee not verified) is kept as it was', async () => {
    for (const f of funded) chain.txs.delete(f.txid);
    const { shown, rec } = await storeOne();
    expect(shown.feeVerified).toBe(false);
    expect(shown.feeUnverifiedReason).toMatch(/^previous transactions for inputs #0, #1, #2 are unavailable \(the chain did not return 3/);
    expect(shown.inputs.map((i) => i.ownership)).toEqual(['utxo-set', 'utxo-set', 'utxo-set']);
    expect((await afterRestart()).signedReview(rec.txid)).toEqual(shown);
  });

  it('a refresh replaces the kept review; the old one is not shown for the new transaction', async () => {
    const first = await storeOne();
    chain.fund(account.accountid, fundAccount([200000]).map((f) => (funded.push(f), f)));
    const second = await storeOne();
    expect(second.rec.txid).not.toBe(first.rec.txid);
    const k = await afterRestart();
    expect(k.signedReview(second.rec.txid)).toEqual(second.shown);
    expect(k.signedReview(first.rec.txid)).toBeNull();
  });

  it('a file from before reviews were kept still loads, without a review, and nothing is lost', async () => {
    const { rec } = await storeOne();
    const old: Partial<RecoveryRecord> = { ...rec };
    delete old.reviewed;
    const text = `${JSON.stringify(old, null, 2)}\n`;
    await fs.writeFile(path.join(dir, `recovery-${account.accountid}.json`), text);
    const k = keeper();
    expect(await k.status()).toMatchObject({ ready: true, txid: rec.txid, fee: rec.fee, covers: rec.covers, problem: null });
    expect(k.signedReview(rec.txid)).toBeNull();
    expect(await k.load()).toEqual(old);
    expect(await fs.readdir(dir)).toEqual([path.basename(k.file)]);
    expect(await fs.readFile(k.file, 'utf8')).toBe(text);
    expect(await k.broadcast()).toBe(rec.txid);
  });

  it('no secrets in the file: the review carries addresses, amounts, scripts and public signatures only', async () => {
    await storeOne();
    const text = await fs.readFile(path.join(dir, `recovery-${account.accountid}.json`), 'utf8');
    const secret = toHex(bs58check.decode(USER_WIF).subarray(1, 33));
    expect(text).not.toContain(USER_WIF);
    expect(text.toLowerCase()).not.toContain(secret);
    const rec = JSON.parse(text) as RecoveryRecord;
    expect(Object.keys(rec.reviewed!).sort()).toEqual(['hex', 'review']);
    // the transaction as reviewed is the exchange's, without the user's signature
    expect(Transaction.fromHex(rec.reviewed!.hex).getId()).toBe(rec.reviewed!.review.txid);
    expect(rec.reviewed!.review.signatures.userSigned).toBe(0);
  });

  describe('a kept review that does not match the stored transaction is not shown', () => {
    type Edit = (rec: RecoveryRecord, review: Review) => void;
    const cases: [string, Edit][] = [
      ['an output value', (_, r) => void (r.outputs[0]!.value -= 1000)],
      ['an output address', (_, r) => void (r.outputs[0]!.address = STRANGER)],
      ['the fee and fee rate', (_, r) => void ((r.fee = 1000), (r.feeRate = 1))],
      ['the amount', (_, r) => void (r.amount += 1)],
      ['its txid', (_, r) => void (r.txid = 'ab'.repeat(32))],
      ['an input value', (_, r) => void (r.inputs[0]!.value! += 5000)],
      ['an input outpoint', (_, r) => void (r.inputs[1]!.vout = 7)],
      ['where a value came from', (_, r) => void ((r.inputs[0]!.ownership = 'claimed'), (r.inputs[0]!.valueSource = 'claimed'))],
      ['the fee said to be unverified', (_, r) => void ((r.feeVerified = false), (r.feeUnverifiedReason = 'offline'))],
      ['a refusal added', (_, r) => void ((r.ok = false), r.refusals.push({ code: 'fee-above-maximum', message: 'x' }))],
      ['a warning added', (_, r) => void r.warnings.push('all is well')],
      ['the maximum fee', (_, r) => void (r.maximumFee = 1)],
      ['an extra field', (_, r) => void Object.assign(r, { note: 'trust me' })],
      ['the coverage', (_, r) => void (r.coverage = { covered: 875000, total: 900000 })],
      ['the signatures shown', (_, r) => void (r.signatures.userSigned = 3)],
      ['the review is not an object', (rec) => void Object.assign(rec.reviewed!, { review: 'ok' })],
      ['the reviewed transaction does not decode', (rec) => void (rec.reviewed!.hex = 'abcd')],
      ['the reviewed transaction is another one', (rec) => {
        const other = honestRecovery(funded.slice(0, 2)).tx;
        rec.reviewed!.hex = other.toHex();
      }],
      ['input values, fee and review rewritten together (the UTXO-set hash no longer matches)', (rec, r) => {
        rec.inputs[0]!.value += 5000;
        rec.fee += 5000;
        rec.covers += 5000;
        rec.total += 5000;
        r.inputs[0]!.value! += 5000;
        r.inputTotal! += 5000;
        r.fee! += 5000;
        r.feeRate = Math.round((r.fee! / r.estimatedSize) * 100) / 100;
        r.coverage = { covered: rec.covers, total: rec.total };
      }],
    ];
    for (const [what, edit] of cases) {
      it(what, async () => {
        const { rec } = await storeOne();
        const copy = structuredClone(rec);
        edit(copy, copy.reviewed!.review);
        await fs.writeFile(path.join(dir, `recovery-${account.accountid}.json`), JSON.stringify(copy));
        const k = keeper();
        const s = await k.status();
        // the transaction itself is intact: still loaded, not kept aside
        expect(s).toMatchObject({ txid: rec.txid, problem: null });
        expect(await fs.readdir(dir)).toEqual([path.basename(k.file)]);
        expect(k.signedReview(rec.txid)).toBeNull();
      });
    }

    it('the review of an earlier recovery put next to a later transaction', async () => {
      const first = await storeOne();
      chain.fund(account.accountid, fundAccount([200000]).map((f) => (funded.push(f), f)));
      const second = await storeOne();
      await fs.writeFile(path.join(dir, `recovery-${account.accountid}.json`), JSON.stringify({ ...second.rec, reviewed: first.rec.reviewed }));
      const k = await afterRestart();
      expect(k.signedReview(second.rec.txid)).toBeNull();
      expect(k.signedReview(first.rec.txid)).toBeNull();
    });

    it('the untouched file still gives the review (the edits above are what is refused)', async () => {
      const { rec, shown } = await storeOne();
      await fs.writeFile(path.join(dir, `recovery-${account.accountid}.json`), JSON.stringify(structuredClone(rec)));
      expect((await afterRestart()).signedReview(rec.txid)).toEqual(shown);
    });
  });

  it('a corrupt file with a review is still kept aside and reported', async () => {
    const { rec } = await storeOne();
    const k = keeper();
    await fs.writeFile(k.file, JSON.stringify({ ...rec, txid: 'ab'.repeat(32) }));
    const s = await k.status();
    expect(s).toMatchObject({ ready: false, txid: null });
    expect(s.problem).toMatch(/"txid" does not match.*kept aside as recovery-.*\.json\.corrupt-\d+/);
    expect(k.signedReview(rec.txid)).toBeNull();
    expect(k.signedReview('ab'.repeat(32))).toBeNull();
  });
});
