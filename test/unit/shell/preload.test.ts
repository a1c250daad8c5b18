import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, events, methods } from '../../../preload/contract';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);
const { exposed, fakeElectron, ipcRendererListeners } = await import('./fake-electron');
await import('../../../preload/index');
const { createCoinpitApi } = await import('../../../preload/api');

type Api = Record<string, unknown> & { on: (event: unknown, cb: unknown) => () => void };
const api = exposed.get('coinpit') as Api;

describe('preload exposure', () => {
  it('exposes exactly one global, window.coinpit', () => {
    expect(fakeElectron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect([...exposed.keys()]).toEqual(['coinpit']);
  });

  it("exposes exactly the contract's methods plus on(), and nothing from Electron", () => {
    expect(Object.keys(api).sort()).toEqual([...Object.keys(methods), 'on'].sort());
    for (const key of ['ipcRenderer', 'invoke', 'send', 'sendSync', 'removeListener', 'require', 'process']) {
      expect(api[key], key).toBeUndefined();
    }
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('cannot be modified by the page', () => {
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('appVersion() invokes the app.version channel and returns its reply unchanged', async () => {
    fakeElectron.ipcRenderer.invoke.mockClear();
    const appVersion = api['appVersion'] as () => Promise<unknown>;
    await expect(appVersion()).resolves.toEqual({ ok: true, value: '9.9.9' });
    expect(fakeElectron.ipcRenderer.invoke).toHaveBeenCalledWith('app.version');
  });

  it('on() rejects every event that is not listed', () => {
    fakeElectron.ipcRenderer.on.mockClear();
    for (const name of ['app.version', 'ipc-message', '__proto__', 'constructor', 'anything', '', 'Book', 'book ']) {
      expect(() => api.on(name, () => {})).toThrow(/unknown event/);
    }
    expect(() => api.on(42, () => {})).toThrow(/unknown event/);
    expect(fakeElectron.ipcRenderer.on).not.toHaveBeenCalled();
  });

  it.each([...events])('on(%s) subscribes to that channel and hands the callback the payload only', (name) => {
    ipcRendererListeners.clear();
    const received: unknown[][] = [];
    const off = api.on(name, (...args: unknown[]) => received.push(args));
    const listeners = ipcRendererListeners.get(name) ?? [];
    expect(listeners).toHaveLength(1);
    listeners[0]?.({ sender: {}, senderId: 0, ports: [] }, { payload: name });
    expect(received).toEqual([[{ payload: name }]]);
    off();
    expect(ipcRendererListeners.get(name) ?? []).toHaveLength(0);
  });
});

describe('the contract', () => {
  it('lists one channel per method, all distinct', () => {
    expect(channels).toEqual(Object.values(methods));
    expect(new Set(channels).size).toBe(channels.length);
    expect(methods.appVersion).toBe('app.version');
    for (const [name, channel] of Object.entries(methods)) {
      expect(channel, name).toMatch(/^[a-zA-Z]+\.[a-zA-Z]+$/);
    }
  });

  it('lists the fixed event set, all distinct and none a method channel', () => {
    expect([...events].sort()).toEqual(
      ['account', 'bands', 'book', 'bookDiff', 'connection', 'fill', 'instruments', 'orderResult', 'recovery', 'trades'].sort(),
    );
    expect(new Set(events).size).toBe(events.length);
    for (const e of events) expect(channels as readonly string[]).not.toContain(e);
    expect(Object.isFrozen(events)).toBe(true);
  });
});

describe('createCoinpitApi on() with a listed event', () => {
  beforeEach(() => {
    ipcRendererListeners.clear();
  });

  const ipc = fakeElectron.ipcRenderer;
  const withEvents = () => createCoinpitApi(ipc, ['feed.trade']) as unknown as Api;

  it('passes the payload only, never the IPC event object', () => {
    const received: unknown[][] = [];
    withEvents().on('feed.trade', (...args: unknown[]) => received.push(args));
    const ipcEvent = { sender: { send: () => {} }, ports: [], senderId: 0 };
    for (const listener of ipcRendererListeners.get('feed.trade') ?? []) listener(ipcEvent, { price: 1 }, 'extra');
    expect(received).toEqual([[{ price: 1 }]]);
  });

  it('still rejects events outside its list and non-function callbacks', () => {
    const a = withEvents();
    expect(() => a.on('feed.other', () => {})).toThrow(/unknown event/);
    expect(() => a.on('feed.trade', 'not a function')).toThrow(/callback must be a function/);
  });

  it('returns an unsubscribe function that removes exactly that listener', () => {
    const a = withEvents();
    const off = a.on('feed.trade', () => {});
    a.on('feed.trade', () => {});
    expect(ipcRendererListeners.get('feed.trade')).toHaveLength(2);
    off();
    expect(ipcRendererListeners.get('feed.trade')).toHaveLength(1);
  });
});
