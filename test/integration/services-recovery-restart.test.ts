// The recovery transaction's review survives an app restart: a user who prepared recovery on one run sees, on the
// next, what the stored transaction pays, to which address, with which fee — in the recovery status the renderer
// reads, in the event it receives, and in the confirmation before broadcasting. Real services over the IPC
// dispatcher, against the real local exchange on 127.0.0.1; the second run is new services on the same data dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/ipc-dispatch';
import { startLocalnet, type Localnet } from '../../main/localnet/index';
import { ScriptedConfirmer } from '../../main/services/confirmer';
import { DirectoryFileChooser } from '../../main/services/files';
import { createServices, type Services } from '../../main/services/index';
import { MemoryKeyStore } from '../../main/services/keystores';
import type { MethodName, RecoveryStatus, RequestOf, ValueOf } from '../../preload/contract';

interface Run {
  services: Services;
  confirmer: ScriptedConfirmer;
  events: RecoveryStatus[];
  call<M extends MethodName>(method: M, ...req: RequestOf<M> extends undefined ? [] : [RequestOf<M>]): Promise<ValueOf<M>>;
  attempt<M extends MethodName>(method: M, ...req: RequestOf<M> extends undefined ? [] : [RequestOf<M>]): Promise<{ ok: boolean; code?: string }>;
}

let local: Localnet;
let localDir: string;
let dataDir: string;
const keychain = new MemoryKeyStore(); // the OS keychain outlives the app
const runs: Run[] = [];

/** One run of the app on `dataDir`. */
async function start(): Promise<Run> {
  const confirmer = new ScriptedConfirmer(true);
  const services = await createServices({
    dataDir,
    appVersion: 'test',
    confirmer,
    files: new DirectoryFileChooser(path.join(dataDir, 'exports')),
    keychain,
    startLocal: async () => ({ url: local.url, close: async () => undefined }),
  });
  const events: RecoveryStatus[] = [];
  services.on((event, payload) => {
    if (event === 'recovery') events.push(payload as RecoveryStatus);
  });
  const dispatch = createDispatch(services.table, () => services.secrets());
  const run: Run = {
    services,
    confirmer,
    events,
    async call(method, ...req) {
      const reply = await dispatch(method, req);
      if (!reply.ok) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
      return reply.value as never;
    },
    async attempt(method, ...req) {
      const reply = await dispatch(method, req);
      return reply.ok ? { ok: true } : { ok: false, code: reply.error.code };
    },
  };
  runs.push(run);
  return run;
}

beforeAll(async () => {
  localDir = await mkdtemp(path.join(tmpdir(), 'coinpit-restart-localnet-'));
  dataDir = await mkdtemp(path.join(tmpdir(), 'coinpit-restart-app-'));
  local = await startLocalnet({ dataDir: localDir, port: 0, blockIntervalMs: 0, indexPrice: 1000, seed: 11 });
}, 60_000);

afterAll(async () => {
  for (const r of runs) await r.services.close();
  await local?.close();
  await rm(localDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('recovery review across a restart', () => {
  it('the next run shows the review the stored recovery transaction was signed under', async () => {
    // ---- first run: key, coins, recovery prepared
    const first = await start();
    const id = (await first.call('profilesList')).activeId!;
    await first.call('profilesGenerateKey', { id });
    await first.call('connectionConnect');
    await first.call('walletFaucet', { amount: 50_000_000 });
    expect((await first.call('walletBalances')).multisig.confirmed).toBe(50_000_000);
    const prepared = await first.call('walletRecoveryRefresh');
    expect(prepared).toMatchObject({ state: 'ready', review: { ok: true, kind: 'recovery' } });
    const review = prepared.review!;
    const userid = (await first.call('profilesList')).profiles.find((p) => p.id === id)!.userid!;
    expect(review.outputs).toEqual([expect.objectContaining({ address: userid, role: 'recovery', value: review.amount })]);
    expect(review.fee).toBeGreaterThan(0);
    await first.services.close();

    // ---- second run on the same data dir: nothing refreshed, the stored transaction shown with its review
    const second = await start();
    expect((await second.call('profilesList')).activeId).toBe(id);
    await second.call('connectionConnect');
    const status = await second.call('walletRecoveryStatus');
    expect(status).toMatchObject({ state: 'ready', txid: prepared.txid, updatedAt: prepared.updatedAt });
    expect(status.review).toEqual(review);
    expect(second.events.at(-1)?.review).toEqual(review);
    expect(second.confirmer.requests).toHaveLength(0); // nothing was signed again

    // the confirmation before broadcasting shows it too (declined: nothing sent)
    second.confirmer.answer = false;
    expect(await second.attempt('walletRecoveryBroadcast')).toEqual({ ok: false, code: 'DECLINED' });
    expect(second.confirmer.requests.at(-1)).toMatchObject({ action: 'recovery-broadcast', destination: userid, amount: review.amount, fee: review.fee, review });
  }, 60_000);
});
