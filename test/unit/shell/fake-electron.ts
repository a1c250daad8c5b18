// A stand-in for the parts of 'electron' the shell files use. Tests install the shared instance with
//   vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron)
// or a fresh one per scenario with makeFakeElectron() + vi.doMock. Nothing here starts Electron.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

/** A webContents with real event emission and a window-open handler slot. */
export class FakeWebContents extends EventEmitter {
  windowOpenHandler: Listener | null = null;
  destroyed = false;
  readonly sent: [string, unknown][] = [];
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: Listener): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  static onCreate: ((window: FakeBrowserWindow) => void) | null = null;
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  minimized = false;
  constructor(readonly options: unknown) {
    super();
    FakeBrowserWindow.instances.push(this);
    FakeBrowserWindow.onCreate?.(this);
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances;
  }
}

export class FakeSession {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;
  devicePermissionHandler: Listener | null = null;
  headersReceived: Listener | null = null;
  setPermissionRequestHandler(handler: Listener): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Listener): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: Listener): void {
    this.devicePermissionHandler = handler;
  }
  readonly webRequest = {
    onHeadersReceived: (handler: Listener) => {
      this.headersReceived = handler;
    },
  };
}

/** The app object: events are real; whenReady() resolves when the test calls ready(). */
export class FakeApp extends EventEmitter {
  gotLock = true;
  isPackaged = false;
  readonly calls: string[] = [];
  private resolveReady: () => void = () => {};
  private readonly readyPromise = new Promise<void>((resolve) => {
    this.resolveReady = resolve;
  });
  private readyFlag = false;
  requestSingleInstanceLock(): boolean {
    this.calls.push('requestSingleInstanceLock');
    return this.gotLock;
  }
  enableSandbox(): void {
    this.calls.push('enableSandbox');
  }
  quit(): void {
    this.calls.push('quit');
  }
  exit(code?: number): void {
    this.calls.push(`exit:${code ?? 0}`);
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  #userData: string | null = null;
  /** userData is a fresh temporary directory per fake app (the services keep profiles there). */
  getPath(name: string): string {
    this.#userData ??= mkdtempSync(path.join(tmpdir(), 'coinpit-fake-userdata-'));
    return name === 'userData' ? this.#userData : path.join(this.#userData, name);
  }
  isReady(): boolean {
    return this.readyFlag;
  }
  whenReady(): Promise<void> {
    return this.readyPromise;
  }
  ready(): void {
    this.calls.push('ready');
    this.readyFlag = true;
    this.resolveReady();
  }
}

export function makeFakeElectron() {
  const ipcMainHandlers = new Map<string, Listener>();
  const exposed = new Map<string, unknown>();
  const ipcRendererListeners = new Map<string, Listener[]>();
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response> | Response>();
  const app = new FakeApp();

  const electron = {
    app,
    protocol: {
      registerSchemesAsPrivileged: vi.fn((_schemes: unknown) => {
        app.calls.push('registerSchemesAsPrivileged');
      }),
      handle: vi.fn((scheme: string, handler: (request: Request) => Promise<Response> | Response) => {
        app.calls.push(`protocol.handle:${scheme}`);
        protocolHandlers.set(scheme, handler);
      }),
    },
    session: { defaultSession: new FakeSession() },
    BrowserWindow: FakeBrowserWindow,
    shell: { openExternal: vi.fn(async (_url: string) => undefined) },
    dialog: {
      showMessageBox: vi.fn(async (..._args: unknown[]) => ({ response: 0, checkboxChecked: false })),
      showSaveDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePath: '' })),
      showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePaths: [] as string[] })),
    },
    ipcMain: {
      handle: vi.fn((channel: string, handler: Listener) => {
        if (ipcMainHandlers.has(channel)) throw new Error(`second handler for ${channel}`);
        ipcMainHandlers.set(channel, handler);
      }),
      removeHandler: vi.fn((channel: string) => {
        ipcMainHandlers.delete(channel);
      }),
    },
    contextBridge: {
      exposeInMainWorld: vi.fn((key: string, api: unknown) => {
        exposed.set(key, api);
      }),
    },
    ipcRenderer: {
      invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: '9.9.9' })),
      on: vi.fn((channel: string, listener: Listener) => {
        ipcRendererListeners.set(channel, [...(ipcRendererListeners.get(channel) ?? []), listener]);
      }),
      removeListener: vi.fn((channel: string, listener: Listener) => {
        ipcRendererListeners.set(channel, (ipcRendererListeners.get(channel) ?? []).filter((l) => l !== listener));
      }),
      send: vi.fn(),
      sendSync: vi.fn(),
    },
  };
  return { electron, ipcMainHandlers, exposed, ipcRendererListeners, protocolHandlers };
}

const shared = makeFakeElectron();
export const fakeElectron = shared.electron;
export const ipcMainHandlers = shared.ipcMainHandlers;
export const exposed = shared.exposed;
export const ipcRendererListeners = shared.ipcRendererListeners;

export default fakeElectron;
