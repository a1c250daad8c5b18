// The web host: the window.coinpit shim (run in a VM context with a real WebSocket) round-trips calls and events
// with the right token; a wrong token, a foreign Origin or a wrong path are refused; the renderer is served with the
// shim injected and the app:// path rules; the confirmer can be switched only with the token.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { methods } from '../../preload/contract';
import { startWebHost, CONTROL_PATH, type WebHost } from '../web-host/server';
import { SHIM_PATH, WS_PATH } from '../web-host/shim';

let host: WebHost;
let rendererDir: string;

beforeAll(async () => {
  rendererDir = await mkdtemp(path.join(tmpdir(), 'coinpit-web-renderer-'));
  await mkdir(path.join(rendererDir, 'assets'));
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><html><head><title>x</title><script type="module" src="./assets/app.js"></script></head><body></body></html>',
  );
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(rendererDir, '..', 'secret-outside.txt'), 'outside').catch(() => undefined);
  host = await startWebHost({ rendererDir, services: { vaultN: 2 ** 15 } });
});

afterAll(async () => {
  await host?.close();
});

function connect(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(String(data)) as { id?: number; reply?: unknown };
      if (message.id === id) {
        ws.off('message', onMessage);
        resolve(message.reply);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, args }));
  });
}

/** Runs the shim as a browser would, with `ws`'s WebSocket standing in for the browser's. */
async function loadShim(hash: string): Promise<{ coinpit: Record<string, (...a: unknown[]) => unknown>; location: { hash: string } }> {
  const source = await (await fetch(`${host.origin}${SHIM_PATH}`)).text();
  const origin = host.origin;
  class BrowserWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  }
  const storage = new Map<string, string>();
  const location = { hash, host: new URL(origin).host, protocol: 'http:', pathname: '/', search: '' };
  const window: Record<string, unknown> = {};
  const context = vm.createContext({
    window,
    location,
    history: { replaceState: () => (location.hash = '') },
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v) },
    WebSocket: BrowserWebSocket,
    console,
    JSON,
    Map,
    Set,
    Promise,
    Object,
    Error,
    TypeError,
    String,
    encodeURIComponent,
  });
  vm.runInContext(source, context);
  return { coinpit: window['coinpit'] as Record<string, (...a: unknown[]) => unknown>, location };
}

describe('web host', () => {
  it('prints a URL on 127.0.0.1 with the token in the fragment only', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(host.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('the shim exposes exactly the contract and round-trips a call with the right token', async () => {
    const { coinpit, location } = await loadShim(`#token=${host.token}`);
    expect(Object.keys(coinpit).sort()).toEqual([...Object.keys(methods), 'on'].sort());
    expect(location.hash).toBe(''); // the token is taken out of the address bar
    await expect(coinpit['appVersion']!()).resolves.toMatchObject({ ok: true });
    const profiles = (await coinpit['profilesList']!()) as { ok: boolean; value: { profiles: { name: string }[] } };
    expect(profiles.ok).toBe(true);
    expect(profiles.value.profiles.map((p) => p.name)).toEqual(['Local']);
    await expect(coinpit['settingsSet']!({ theme: 'purple' })).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(() => (coinpit['on'] as (e: string, cb: () => void) => void)('not-an-event', () => {})).toThrow(/unknown event/);
    // an event reaches a subscribed callback, payload only
    const got: unknown[][] = [];
    (coinpit['on'] as (e: string, cb: (...a: unknown[]) => void) => void)('connection', (...args) => got.push(args));
    await coinpit['connectionDisconnect']!();
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got[0]).toHaveLength(1);
    expect(got[0]?.[0]).toMatchObject({ state: 'disconnected' });
  });

  it('with a wrong token the shim gets no answer from the services, only a closed-connection error', async () => {
    const { coinpit } = await loadShim('#token=00');
    await expect(coinpit['appVersion']!()).resolves.toEqual({ ok: false, error: { code: 'INTERNAL', message: 'The connection to the web host is closed.' } });
  });

  it('refuses a WebSocket with a wrong or missing token, a foreign Origin or another path', async () => {
    const wrong = host.token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(connect(`ws://127.0.0.1:${host.port}${WS_PATH}?token=${wrong}`, host.origin)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${host.port}${WS_PATH}`, host.origin)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${host.port}${WS_PATH}?token=${host.token.slice(0, 10)}`)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${host.port}${WS_PATH}?token=${host.token}`, 'https://evil.example')).rejects.toThrow('HTTP 403');
    await expect(connect(`ws://127.0.0.1:${host.port}/other?token=${host.token}`, host.origin)).rejects.toThrow('HTTP 404');
  });

  it('answers malformed messages with typed errors and keeps the connection', async () => {
    const ws = await connect(`ws://127.0.0.1:${host.port}${WS_PATH}?token=${host.token}`, host.origin);
    ws.send('not json');
    ws.send(JSON.stringify({ id: 'x', method: 'appVersion' }));
    await expect(call(ws, 1, 'nope', [])).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await expect(call(ws, 2, 'profilesSelect', [{ id: 'p_x', extra: true }])).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await expect(call(ws, 3, 'profilesSelect', [{ id: 'p_doesnotexist' }])).resolves.toMatchObject({ ok: false, error: { code: 'NO_PROFILE' } });
    await expect(call(ws, 4, 'appVersion', [])).resolves.toMatchObject({ ok: true });
    ws.close();
  });

  it('serves the renderer with the shim injected before the app script, and the WebSocket allowed by the CSP', async () => {
    const res = await fetch(`${host.origin}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.indexOf(`<script src="${SHIM_PATH}"></script>`)).toBeGreaterThan(0);
    expect(html.indexOf(SHIM_PATH)).toBeLessThan(html.indexOf('./assets/app.js'));
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(csp).toContain("script-src 'self'");
    expect((await fetch(`${host.origin}/assets/app.js`)).status).toBe(200);
  });

  it.each(['/%2e%2e/secret-outside.txt', '/..%2fsecret-outside.txt', '/assets/..%5c..%5csecret-outside.txt', '//etc/passwd'])(
    'refuses path traversal: %s',
    async (p) => {
      const res = await fetch(`${host.origin}${p}`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('outside');
    },
  );

  it('switches the scripted confirmer only with the token', async () => {
    const post = (body: unknown, token?: string) =>
      fetch(`${host.origin}${CONTROL_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { 'x-coinpit-token': token } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ approve: false })).status).toBe(401);
    expect(host.confirmer.answer).toBe(true);
    expect((await post({ approve: 'no' }, host.token)).status).toBe(400);
    expect(await (await post({ approve: false }, host.token)).json()).toMatchObject({ approve: false });
    expect(host.confirmer.answer).toBe(false);
    expect(await host.confirmer.confirm({ kind: 'margin-out', amount: 1, from: 'x', to: 'y' })).toBe(false);
    await post({ approve: true }, host.token);
    expect(host.confirmer.answer).toBe(true);
  });
});
