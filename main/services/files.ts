// Files the user picks: the Electron build shows native save/open dialogs (main/dialogs.ts); tests and the web
// host use a directory-backed chooser. Main writes exported files itself, so a key backup or an API key file
// never passes through the renderer.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../wallet/atomic-file';

export interface SaveFileRequest {
  title: string;
  suggestedName: string;
  /** e.g. [{ name: 'Text', extensions: ['txt'] }] */
  filters?: { name: string; extensions: string[] }[];
}

export interface OpenFileRequest {
  title: string;
  filters?: { name: string; extensions: string[] }[];
}

export interface FileChooser {
  /** Asks where to save; null when the user cancels. */
  choosePath(request: SaveFileRequest): Promise<string | null>;
  /** Asks for a file to open; null when the user cancels. */
  chooseFile(request: OpenFileRequest): Promise<string | null>;
}

/** Writes a file main produced (mode 0600: these files can hold keys). */
export async function writeUserFile(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, { mode: 0o600 });
}

/** Reads a file the user chose, refusing anything larger than `maxBytes`. */
export async function readUserFile(file: string, maxBytes: number): Promise<string> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) throw new Error('The chosen path is not a file');
  if (stat.size > maxBytes) throw new Error(`The file is larger than ${maxBytes} bytes`);
  return fs.readFile(file, 'utf8');
}

/** A chooser without dialogs: saves into `dir` under the suggested name; opens whatever `nextOpen` names. */
export class DirectoryFileChooser implements FileChooser {
  readonly dir: string;
  /** the path chooseFile returns next (then cleared); null = the user cancels */
  nextOpen: string | null = null;
  /** when true, choosePath answers null (the user cancels) */
  cancelSave = false;
  readonly saved: string[] = [];

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async choosePath(request: SaveFileRequest): Promise<string | null> {
    if (this.cancelSave) return null;
    await fs.mkdir(this.dir, { recursive: true });
    const base = path.basename(request.suggestedName).replace(/[^A-Za-z0-9._-]/g, '_') || 'export.txt';
    const file = path.join(this.dir, base);
    this.saved.push(file);
    return file;
  }

  async chooseFile(): Promise<string | null> {
    const next = this.nextOpen;
    this.nextOpen = null;
    return next;
  }
}
