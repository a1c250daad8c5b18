// App lifecycle only: sandbox, single instance, the app:// scheme, IPC, and the main window.
import { app, BrowserWindow, protocol, session } from 'electron';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadAppResource } from './app-protocol';
import { ElectronConfirmer, ElectronFileChooser } from './dialogs';
import { eventForwarder, registerIpc } from './ipc';
import { createServices, deferredTable, type Services } from './services/index';
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
let services: Services | null = null;
let servicesReady: Promise<Services> | null = null;
let shutDown = false;

/** Starts the services (profiles, key stores, the local exchange on first use) with native dialogs. */
function startServices(): Promise<Services> {
  const windowRef = () => mainWindow;
  servicesReady = createServices({
    dataDir: app.getPath('userData'),
    appVersion: app.getVersion(),
    confirmer: new ElectronConfirmer(windowRef),
    files: new ElectronFileChooser(windowRef),
  }).then((s) => {
    services = s;
    s.on(eventForwarder(() => mainWindow?.webContents ?? null));
    return s;
  });
  servicesReady.catch((error: unknown) => {
    console.error('Coinpit Desk services could not start:', error instanceof Error ? error.message : String(error));
  });
  return servicesReady;
}

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

  // Clean shutdown: stop the feed and the local exchange (its journal) before the process exits.
  app.on('before-quit', (event) => {
    if (shutDown || servicesReady === null) return;
    event.preventDefault();
    shutDown = true;
    void servicesReady
      .then((s) => s.close())
      .catch(() => undefined)
      .finally(() => app.quit());
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
      const ready = startServices();
      registerIpc({
        table: deferredTable(ready),
        secrets: () => services?.secrets() ?? [],
        log: (line) => console.error(line),
      });
      openMainWindow();
    })
    .catch((error: unknown) => {
      console.error('Coinpit Desk could not start:', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
