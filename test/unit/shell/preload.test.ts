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

  it('on() rejects every event that is not listed (none are, yet)', () => {
    expect(events).toEqual([]);
    for (const name of ['app.version', 'ipc-message', '__proto__', 'anything', '']) {
      expect(() => api.on(name, () => {})).toThrow(/unknown event/);
    }
    expect(() => api.on(42, () => {})).toThrow(/unknown event/);
    expect(fakeElectron.ipcRenderer.on).not.toHaveBeenCalled();
  });
});

describe('the contract', () => {
  it('lists one channel per method, all distinct', () => {
    expect(channels).toEqual(Object.values(methods));
    expect(new Set(channels).size).toBe(channels.length);
    expect(methods).toEqual({ appVersion: 'app.version' });
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
