import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);

const { windowOptions, createMainWindow, hardenSession } = await import('../../../main/window');
const { FakeBrowserWindow, FakeSession } = await import('./fake-electron');
const { APP_ENTRY_URL } = await import('../../../main/security/app-origin');
const { CONTENT_SECURITY_POLICY } = await import('../../../main/security/csp');

const config = { preloadPath: '/app/out/preload/index.cjs', devTools: false };

describe('windowOptions', () => {
  it('turns on isolation, sandbox and web security and turns off node integration everywhere', () => {
    const web = windowOptions(config).webPreferences;
    expect(web).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('enables no Blink features and sets no partition or session of its own', () => {
    const web = windowOptions(config).webPreferences ?? {};
    expect(web.enableBlinkFeatures).toBeUndefined();
    expect(web.additionalArguments).toBeUndefined();
    expect(web.partition).toBeUndefined();
    expect(web.session).toBeUndefined();
  });

  it('uses the given preload (the single CommonJS bundle) and devTools flag', () => {
    expect(windowOptions(config).webPreferences?.preload).toBe('/app/out/preload/index.cjs');
    expect(windowOptions(config).webPreferences?.devTools).toBe(false);
    expect(windowOptions({ ...config, devTools: true }).webPreferences?.devTools).toBe(true);
  });

  it('is a pure function: each call returns a fresh, equal object', () => {
    const a = windowOptions(config);
    const b = windowOptions(config);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.webPreferences).not.toBe(b.webPreferences);
  });

  it('starts hidden so the window appears only once painted', () => {
    expect(windowOptions(config).show).toBe(false);
    expect(windowOptions(config).title).toBe('Coinpit Desk');
  });
});

describe('createMainWindow', () => {
  beforeEach(() => {
    FakeBrowserWindow.instances.length = 0;
  });

  it('creates the window with windowOptions and loads the app:// entry', () => {
    const window = createMainWindow(config) as unknown as InstanceType<typeof FakeBrowserWindow>;
    expect(window.options).toEqual(windowOptions(config));
    expect(window.loadURL).toHaveBeenCalledWith(APP_ENTRY_URL);
    expect(APP_ENTRY_URL).toBe('app://coinpit/index.html');
  });

  it('shows the window on ready-to-show, not before', () => {
    const window = createMainWindow(config) as unknown as InstanceType<typeof FakeBrowserWindow>;
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledTimes(1);
  });
});

describe('hardenSession', () => {
  it('denies every permission request', () => {
    const session = new FakeSession();
    hardenSession(session as never);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal', 'unknown']) {
      const callback = vi.fn();
      session.permissionRequestHandler?.({}, permission, callback, { requestingUrl: 'app://coinpit/index.html' });
      expect(callback).toHaveBeenCalledWith(false);
    }
  });

  it('answers every permission check and device request with false', () => {
    const session = new FakeSession();
    hardenSession(session as never);
    expect(session.permissionCheckHandler?.(null, 'clipboard-sanitized-write', 'app://coinpit', {})).toBe(false);
    expect(session.permissionCheckHandler?.(null, 'fullscreen', 'app://coinpit', {})).toBe(false);
    expect(session.devicePermissionHandler?.({ deviceType: 'usb', origin: 'app://coinpit' })).toBe(false);
  });

  it('puts the CSP header on every response, replacing any the response had', () => {
    const session = new FakeSession();
    hardenSession(session as never);
    const callback = vi.fn();
    session.headersReceived?.(
      { responseHeaders: { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] } },
      callback,
    );
    const headers = callback.mock.calls[0]?.[0]?.responseHeaders as Record<string, string[]>;
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['Content-Type']).toEqual(['text/html']);
  });

  it('adds the CSP header to a response without headers', () => {
    const session = new FakeSession();
    hardenSession(session as never);
    const callback = vi.fn();
    session.headersReceived?.({}, callback);
    expect(callback.mock.calls[0]?.[0]).toEqual({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
});
