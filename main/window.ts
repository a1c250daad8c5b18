// The main window and the hardening applied to every webContents and session. The decisions themselves are pure
// functions in ./security; this file only wires them to Electron.
import {
  BrowserWindow,
  shell,
  type BrowserWindowConstructorOptions,
  type Session,
  type WebContents,
} from 'electron';
import { APP_ENTRY_URL } from './security/app-origin';
import { withCspHeader } from './security/csp';
import { allowWebviewAttach, decideNavigation, decideWindowOpen, DEFAULT_EXTERNAL_ORIGINS } from './security/navigation';
import { allowDevicePermission, allowPermissionCheck, allowPermissionRequest } from './security/permissions';

export interface WindowConfig {
  /** Absolute path of the bundled preload (out/preload/index.cjs). */
  preloadPath: string;
  /** DevTools only in unpackaged builds. */
  devTools: boolean;
}

/** BrowserWindow options. Every security-relevant webPreference is spelled out rather than left to defaults. */
export function windowOptions(config: WindowConfig): BrowserWindowConstructorOptions {
  return {
    title: 'Coinpit Desk',
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1720',
    autoHideMenuBar: true,
    webPreferences: {
      preload: config.preloadPath,
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
      plugins: false,
      enableWebSQL: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: config.devTools,
    },
  };
}

/** Opens an allowlisted https URL in the OS browser; anything else is dropped. */
function openExternally(url: string, allowed: boolean): void {
  if (!allowed) return;
  shell.openExternal(url).catch(() => {
    /* the OS had no handler; nothing to do in the app */
  });
}

/** Denies navigation, redirects, new windows and <webview> on one webContents. */
export function hardenWebContents(contents: WebContents, allowlist: readonly string[] = DEFAULT_EXTERNAL_ORIGINS): void {
  contents.on('will-navigate', (event, url) => {
    const decision = decideNavigation(url, allowlist);
    if (!decision.allow) event.preventDefault();
    openExternally(url, decision.openExternal);
  });
  contents.on('will-redirect', (event, url) => {
    if (!decideNavigation(url, allowlist).allow) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    if (!allowWebviewAttach()) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, allowlist);
    openExternally(url, decision.openExternal);
    return { action: decision.action };
  });
}

/** Permission handlers and the CSP header for a session (the default one, which the window uses). */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(allowPermissionRequest(permission, details.requestingUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    allowPermissionCheck(permission, requestingOrigin),
  );
  session.setDevicePermissionHandler((details) => allowDevicePermission(details.deviceType, details.origin));
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCspHeader(details.responseHeaders) });
  });
}

/**
 * Creates the main window and loads the app. Its webContents is hardened by the app-wide 'web-contents-created'
 * hook in index.ts (which covers every webContents, not only this one), so it is not hardened twice here.
 */
export function createMainWindow(config: WindowConfig): BrowserWindow {
  const window = new BrowserWindow(windowOptions(config));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
