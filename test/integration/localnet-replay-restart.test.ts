// Replay protection across restarts (PROTOCOL §8.6, main/localnet/server/replaylog.ts): a signed request the
// exchange accepted before a restart, clean or SIGKILL, is refused after it while its nonce is still inside the
// ±10 s window; fresh requests signed right after the restart are served at once.
//
// The captured requests carry a nonce 8 s ahead of the clock (still inside the window), so their replays stay
// in the window for up to 18 s: a slow restart cannot turn a "Replayed request" into a "stale nonce".
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { socketHmacAuthorization } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import { CoinpitClient } from '../../main/coinpit/rest';
import { fund, newUser, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

const AHEAD_MS = 8000;
const REPLAYED = 'Authentication failed. Replayed request';

const nets: TestNet[] = [];
const dirs: string[] = [];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const n of nets.splice(0)) await n.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dataDir?: string): Promise<TestNet> {
  const net = await startTestNet(dataDir === undefined ? {} : { dataDir });
  nets.push(net);
  if (!dirs.includes(net.dataDir)) dirs.push(net.dataDir);
  return net;
}

async function restart(net: TestNet): Promise<TestNet> {
  await stopTestNet(net, true);
  nets.splice(nets.indexOf(net), 1);
  return open(net.dataDir);
}

/** The user's client against another server (the port changes across restarts). */
const clientAt = (net: TestNet, u: TestUser): CoinpitClient => new CoinpitClient({ baseUrl: net.url, wif: u.wif });

describe('replay protection across a restart', () => {
  it('clean restart: a replayed DELETE /account/margin/:amount does not move margin twice, a replayed GET is refused', async () => {
    let net = await open();
    const a = await newUser(net);
    await fund(net, a);
    const nonce = Date.now() + AHEAD_MS;
    const amount = 1_000_000;
    const moveOut = () => signedRequest(net, a, 'DELETE', `/account/margin/${amount}`, undefined, { nonce });
    const read = () => signedRequest(net, a, 'GET', '/account', undefined, { nonce: nonce + 1 });

    const before = (await clientAt(net, a).account()).accountMargin;
    expect((await moveOut()).status).toBe(200);
    expect((await read()).status).toBe(200);
    const after = (await clientAt(net, a).account()).accountMargin;
    expect(after).toBeLessThan(before);
    // within the same process: refused (as before this fix)
    expect((await moveOut()).body).toEqual({ error: REPLAYED });

    net = await restart(net);
    for (const replay of [moveOut, read]) {
      const r = await replay();
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: REPLAYED });
    }
    expect((await clientAt(net, a).account()).accountMargin).toBe(after);
    // a request signed right after the restart is served at once
    const fresh = await signedRequest(net, a, 'GET', '/account');
    expect(fresh.status).toBe(200);
    expect(fresh.body.accountMargin).toBe(after);
  });

  it('socket requests are remembered across a restart too', async () => {
    let net = await open();
    const a = await newUser(net);
    const secret = sharedSecret(a.wif, a.account.serverPublicKey);
    const nonce = Date.now() + AHEAD_MS;
    const payload = { headers: { requestid: 'r-1', Authorization: socketHmacAuthorization(a.userid, secret, 'GET', '/account', undefined, {}, nonce), Nonce: nonce }, method: 'GET', uri: '/account', params: {}, retry: false };
    const ask = async (): Promise<{ event: string; data: any }> => {
      const s = io(net.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      sockets.push(s);
      return new Promise((resolve) => {
        s.on('account', (data) => resolve({ event: 'account', data }));
        s.on('auth_error', (data) => resolve({ event: 'auth_error', data }));
        s.on('connect', () => s.emit('GET /account', payload));
      });
    };
    const first = await ask();
    expect(first.event).toBe('account');
    expect(first.data.account.userid).toBe(a.userid);
    net = await restart(net);
    const again = await ask();
    expect(again.event).toBe('auth_error');
    expect(again.data.error).toBe(REPLAYED);
  });

  it('SIGKILL: a GET /account accepted by the killed process is refused by the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'localnet-replay-kill-'));
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helpers/localnet-child.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening (\S+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const killed = { url } as TestNet;
    const a = await newUser(killed);
    const nonce = Date.now() + AHEAD_MS;
    const first = await signedRequest(killed, a, 'GET', '/account', undefined, { nonce });
    expect(first.status).toBe(200);
    expect((await signedRequest(killed, a, 'GET', '/account', undefined, { nonce })).status).toBe(401);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const net = await open(dir);
    const replay = await signedRequest(net, a, 'GET', '/account', undefined, { nonce });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: REPLAYED });
    // and the next process serves fresh requests at once, through the project's client as well
    expect((await signedRequest(net, a, 'GET', '/account')).status).toBe(200);
    expect((await clientAt(net, a).account()).userid).toBe(a.userid);
  });
});
