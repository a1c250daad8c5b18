// main/index.ts against a fresh fake 'electron' per scenario: what happens before 'ready', after it, and on the
// platform events.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/security/csp';
import { methods } from '../../../preload/contract';
import { FakeBrowserWindow, FakeWebContents, makeFakeElectron } from './fake-electron';

type Fake = ReturnType<typeof makeFakeElectron>;

async function boot(options: { gotLock?: boolean } = {}): Promise<Fake> {
  vi.resetModules();
  const fake = makeFakeElectron();
  fake.electron.app.gotLock = options.gotLock ?? true;
  vi.doMock('electron', () => ({ ...fake.electron, default: fake.electron }));
  await import('../../../main/index');
  return fake;
}

async function ready(fake: Fake): Promise<void> {
  fake.electron.app.ready();
  await new Promise((resolve) => setImmediate(resolve));
}

const realPlatform = process.platform;
function setPlatform(platform: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { value: platform, configurable: true });
}

beforeEach(() => {
  FakeBrowserWindow.instances.length = 0;
});

afterEach(() => {
  setPlatform(realPlatform);
  vi.doUnmock('electron');
});

describe('before ready', () => {
  it('registers app:// as a privileged standard, secure scheme without bypassing CSP, and enables the sandbox', async () => {
    const fake = await boot();
    expect(fake.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(fake.electron.app.calls).toEqual(['registerSchemesAsPrivileged', 'enableSandbox', 'requestSingleInstanceLock']);
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });

  it('quits when another instance holds the lock, and does nothing on ready', async () => {
    const fake = await boot({ gotLock: false });
    expect(fake.electron.app.calls).toContain('quit');
    await ready(fake);
    expect(fake.protocolHandlers.size).toBe(0);
    expect(fake.ipcMainHandlers.size).toBe(0);
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });
});

describe('on ready', () => {
  it('serves app://, hardens the session, registers IPC and opens one window on the app entry', async () => {
    const fake = await boot();
    await ready(fake);
    expect([...fake.protocolHandlers.keys()]).toEqual(['app']);
    expect(fake.electron.session.defaultSession.permissionRequestHandler).not.toBeNull();
    expect(fake.electron.session.defaultSession.headersReceived).not.toBeNull();
    expect([...fake.ipcMainHandlers.keys()].sort()).toEqual(Object.values(methods).sort());
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    const window = FakeBrowserWindow.instances[0];
    expect(window?.loadURL).toHaveBeenCalledWith('app://coinpit/index.html');
    const prefs = (window?.options as { webPreferences: { preload: string; devTools: boolean } }).webPreferences;
    expect(prefs.preload.replace(/\\/g, '/')).toMatch(/\/preload\/index\.cjs$/);
    expect(prefs.devTools).toBe(true); // not packaged
  });

  it('the app:// handler serves the renderer with the CSP and refuses traversal', async () => {
    const fake = await boot();
    await ready(fake);
    const handle = fake.protocolHandlers.get('app');
    const ok = await handle?.(new Request('app://coinpit/index.html'));
    expect(ok?.status).toBe(200);
    expect(ok?.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await ok?.text()).toBe(readFileSync(new URL('../../../renderer/index.html', import.meta.url), 'utf8'));
    const escape = await handle?.(new Request('app://coinpit/%2e%2e/package.json'));
    expect(escape?.status).toBe(404);
    expect(await escape?.text()).not.toContain('"name"');
    const otherHost = await handle?.(new Request('app://elsewhere/index.html'));
    expect(otherHost?.status).toBe(404);
  });

  it('app.version answers the app window', async () => {
    const fake = await boot();
    await ready(fake);
    const reply = await fake.ipcMainHandlers.get('app.version')?.({ senderFrame: { url: 'app://coinpit/index.html', parent: null } });
    expect(reply).toEqual({ ok: true, value: '0.1.0-test' });
  });

  it('forwards service events to the window (only listed ones) and answers typed errors for bad payloads', async () => {
    const fake = await boot();
    await ready(fake);
    const top = { senderFrame: { url: 'app://coinpit/index.html', parent: null } };
    const reply = await fake.ipcMainHandlers.get('connection.disconnect')?.(top);
    expect(reply).toMatchObject({ ok: true, value: { state: 'disconnected' } });
    const window = FakeBrowserWindow.instances[0];
    expect(window?.webContents.sent.map(([channel]) => channel)).toContain('connection');
    const bad = await fake.ipcMainHandlers.get('settings.set')?.(top, { theme: 'purple' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('closes the services before quitting', async () => {
    const fake = await boot();
    await ready(fake);
    const event = { preventDefault: vi.fn() };
    fake.electron.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalledTimes(1);
    expect(fake.electron.app.calls).not.toContain('quit');
    for (let i = 0; i < 50 && !fake.electron.app.calls.includes('quit'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.electron.app.calls).toContain('quit');
    const again = { preventDefault: vi.fn() };
    fake.electron.app.emit('before-quit', again); // the second time the quit goes through
    expect(again.preventDefault).not.toHaveBeenCalled();
  });

  it('hardens every webContents that gets created', async () => {
    const fake = await boot();
    const contents = new FakeWebContents();
    fake.electron.app.emit('web-contents-created', {}, contents);
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const event = { preventDefault: vi.fn() };
    contents.emit('will-navigate', event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
  });
});

describe('platform behaviour', () => {
  it('quits when the last window closes, except on macOS', async () => {
    const fake = await boot();
    await ready(fake);
    setPlatform('darwin');
    fake.electron.app.emit('window-all-closed');
    expect(fake.electron.app.calls).not.toContain('quit');
    setPlatform('linux');
    fake.electron.app.emit('window-all-closed');
    expect(fake.electron.app.calls).toContain('quit');
  });

  it('re-opens a window on activate when none is open, and only then', async () => {
    const fake = await boot();
    await ready(fake);
    fake.electron.app.emit('activate');
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    FakeBrowserWindow.instances.length = 0;
    fake.electron.app.emit('activate');
    expect(FakeBrowserWindow.instances).toHaveLength(1);
  });

  it('a second launch restores and focuses the existing window', async () => {
    const fake = await boot();
    await ready(fake);
    const window = FakeBrowserWindow.instances[0];
    if (!window) throw new Error('no window');
    window.minimized = true;
    fake.electron.app.emit('second-instance');
    expect(window.restore).toHaveBeenCalled();
    expect(window.focus).toHaveBeenCalled();
    expect(FakeBrowserWindow.instances).toHaveLength(1);
  });
});
