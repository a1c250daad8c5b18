// The Electron side of the Confirmer and FileChooser interfaces: native dialogs, modal to the app window.
// Only main/index.ts wires these; everything else sees the interfaces (tests use scripted ones).
import { app, dialog, type BrowserWindow } from 'electron';
import * as path from 'node:path';
import { confirmRequest, describeConfirmation, type Confirmer, type ConfirmRequest, type ConfirmSubject } from './services/confirmer';
import type { FileChooser, OpenFileRequest, SaveFileRequest } from './services/files';

type WindowRef = () => BrowserWindow | null;

/** The native dialog's text for a confirmation (pure, so it can be checked without Electron). */
export function confirmationDialogOptions(request: ConfirmRequest) {
  return {
    type: 'warning' as const,
    title: 'Confirm',
    message: request.title,
    detail: describeConfirmation(request),
    buttons: ['Cancel', 'Confirm and sign'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}

export class ElectronConfirmer implements Confirmer {
  readonly #window: WindowRef;
  constructor(window: WindowRef) {
    this.#window = window;
  }

  async confirm(subject: ConfirmSubject): Promise<boolean> {
    const options = confirmationDialogOptions(confirmRequest(subject));
    const win = this.#window();
    const { response } = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
    return response === 1;
  }
}

export class ElectronFileChooser implements FileChooser {
  readonly #window: WindowRef;
  constructor(window: WindowRef) {
    this.#window = window;
  }

  async choosePath(request: SaveFileRequest): Promise<string | null> {
    const options = {
      title: request.title,
      defaultPath: path.join(app.getPath('documents'), path.basename(request.suggestedName)),
      filters: request.filters,
    };
    const win = this.#window();
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? null : r.filePath;
  }

  async chooseFile(request: OpenFileRequest): Promise<string | null> {
    const options = { title: request.title, filters: request.filters, properties: ['openFile' as const] };
    const win = this.#window();
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }
}
