// App lifecycle only: sandbox, single instance, the app:// scheme, IPC, and the main window.
import { app, BrowserWindow, protocol, session } from 'electron';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadAppResource } from './app-protocol';
import { registerIpc } from './ipc';
import { APP_SCHEME } from './security/app-origin';
import { createMainWindow, hardenSession, hardenWebContents } from './window';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const rendererRoot = path.join(here, '..', 'renderer');
const preloadPath = path.join(here, '..', 'preload', 'index.cjs');

// Must happen before 'ready'. standard+secure give app://coinpit a real, secure origin (CSP 'self', fetch,
// localStorage); no bypassCSP, no service workers.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function openMainWindow(): void {
  mainWindow = createMainWindow({ preloadPath, devTools: !app.isPackaged });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

function focusMainWindow(): void {
  if (mainWindow === null) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the keychain session and the local exchange; it gets focused instead.
  app.quit();
} else {
  app.on('second-instance', focusMainWindow);

  // Every webContents (the window, and anything Chromium might create) gets the navigation guards.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) openMainWindow();
  });

  app
    .whenReady()
    .then(() => {
      protocol.handle(APP_SCHEME, async (request) => {
        const resource = await loadAppResource(rendererRoot, request.url, request.method);
        return new Response(resource.body, { status: resource.status, headers: resource.headers });
      });
      hardenSession(session.defaultSession);
      registerIpc({ appVersion: () => app.getVersion() });
      openMainWindow();
    })
    .catch((error: unknown) => {
      console.error('Coinpit Desk could not start:', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
