import { beforeEach, describe, expect, it, vi } from 'vitest';
import { methods } from '../../../preload/contract';
import { isTrustedSender as pureIsTrustedSender } from '../../../main/security/sender';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);
const { FORBIDDEN, INTERNAL, eventForwarder, guard, isTrustedSender, registerIpc, senderIsTrusted } = await import('../../../main/ipc');
const { stubTable } = await import('./stub-table');
const { fakeElectron, ipcMainHandlers } = await import('./fake-electron');

const topFrame = (url: string) => ({ senderFrame: { url, parent: null } });
const subFrame = (url: string) => ({ senderFrame: { url, parent: { url: 'app://coinpit/index.html' } } });

describe('isTrustedSender', () => {
  it('is the electron-free predicate, re-exported', () => {
    expect(isTrustedSender).toBe(pureIsTrustedSender);
  });

  it.each(['app://coinpit/index.html', 'app://coinpit/', 'app://coinpit/index.html?x=1#y', 'app://COINPIT/index.html'])(
    'trusts the app page in the top frame: %s',
    (url) => {
      expect(isTrustedSender(url, true)).toBe(true);
    },
  );

  it.each([
    ['a subframe', 'app://coinpit/index.html', false],
    ['another app host', 'app://evil/index.html', true],
    ['a look-alike host', 'app://coinpit.evil/index.html', true],
    ['a port', 'app://coinpit:1/index.html', true],
    ['credentials', 'app://x@coinpit/index.html', true],
    ['file:', 'file:///app/out/renderer/index.html', true],
    ['https:', 'https://coinpit/index.html', true],
    ['a dev server', 'http://localhost:5173/', true],
    ['about:blank', 'about:blank', true],
    ['an empty URL', '', true],
    ['garbage', 'not a url', true],
  ])('refuses %s', (_name, url, top) => {
    expect(isTrustedSender(url, top)).toBe(false);
  });

  it('refuses a missing URL', () => {
    expect(isTrustedSender(undefined, true)).toBe(false);
    expect(isTrustedSender(null, true)).toBe(false);
  });
});

describe('senderIsTrusted', () => {
  it('reads the frame of the event', () => {
    expect(senderIsTrusted(topFrame('app://coinpit/index.html'))).toBe(true);
    expect(senderIsTrusted(subFrame('app://coinpit/index.html'))).toBe(false);
    expect(senderIsTrusted({ senderFrame: null })).toBe(false);
  });

  it('treats a disposed frame (whose getters throw) as untrusted', () => {
    const event = {
      get senderFrame(): { url: string; parent: unknown } {
        throw new Error('Render frame was disposed');
      },
    };
    expect(senderIsTrusted(event)).toBe(false);
  });
});

describe('guard', () => {
  it('runs the handler for the trusted sender, passing the arguments', async () => {
    const handler = vi.fn(async (...args: unknown[]) => ({ ok: true as const, value: args.length }));
    await expect(guard(handler)(topFrame('app://coinpit/index.html'), 'a', 2)).resolves.toEqual({ ok: true, value: 2 });
    expect(handler).toHaveBeenCalledWith('a', 2);
  });

  it('returns FORBIDDEN without running the handler for any other sender', async () => {
    const handler = vi.fn(() => ({ ok: true as const, value: 1 }));
    await expect(guard(handler)(subFrame('app://coinpit/index.html'))).resolves.toEqual(FORBIDDEN);
    await expect(guard(handler)(topFrame('https://evil.example/'))).resolves.toEqual(FORBIDDEN);
    expect(handler).not.toHaveBeenCalled();
  });

  it('turns a throwing handler into INTERNAL, without the thrown message', async () => {
    const reply = await guard(() => {
      throw new Error('secret WIF L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ');
    })(topFrame('app://coinpit/index.html'));
    expect(reply).toEqual(INTERNAL);
    expect(JSON.stringify(reply)).not.toContain('L1aW4');
    await expect(guard(async () => Promise.reject(new Error('x')))(topFrame('app://coinpit/'))).resolves.toEqual(INTERNAL);
  });
});

describe('registerIpc', () => {
  beforeEach(() => {
    ipcMainHandlers.clear();
  });

  it('registers one handler per contract channel and removes them again', () => {
    const unregister = registerIpc({ table: stubTable({ appVersion: async () => '1.2.3' }) });
    expect([...ipcMainHandlers.keys()].sort()).toEqual(Object.values(methods).sort());
    unregister();
    expect(ipcMainHandlers.size).toBe(0);
  });

  it('can register twice without a duplicate-handler error', () => {
    registerIpc({ table: stubTable({ appVersion: async () => '1' }) });
    expect(() => registerIpc({ table: stubTable({ appVersion: async () => '2' }) })).not.toThrow();
    expect(fakeElectron.ipcMain.removeHandler).toHaveBeenCalledWith('app.version');
  });

  it('app.version answers {ok:true, value} to the app and FORBIDDEN to anyone else', async () => {
    registerIpc({ table: stubTable({ appVersion: async () => '1.2.3' }) });
    const handler = ipcMainHandlers.get('app.version');
    await expect(handler?.(topFrame('app://coinpit/index.html'))).resolves.toEqual({ ok: true, value: '1.2.3' });
    await expect(handler?.(subFrame('app://coinpit/index.html'))).resolves.toEqual(FORBIDDEN);
  });
});
