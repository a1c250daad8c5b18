// Framework-free request/response plumbing shared by the Esplora and Insight handlers.
import { ChainError } from './errors';

export interface ChainResponse {
  status: number;
  /** response text, ready to send as is */
  body: string;
  contentType: 'application/json' | 'text/plain';
}

export function json(status: number, value: unknown): ChainResponse {
  return { status, body: JSON.stringify(value), contentType: 'application/json' };
}

export function text(status: number, value: string): ChainResponse {
  return { status, body: value, contentType: 'text/plain' };
}

export interface ParsedPath {
  segments: string[];
  query: URLSearchParams;
}

/** Splits `path?query`, dropping an optional mount prefix; segments are URL-decoded (bad escapes → null). */
export function parsePath(path: string, mount: string): ParsedPath | null {
  if (typeof path !== 'string') return null;
  const q = path.indexOf('?');
  let p = q >= 0 ? path.slice(0, q) : path;
  const query = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '');
  if (p === mount || p.startsWith(mount + '/')) p = p.slice(mount.length);
  try {
    const segments = p.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
    return { segments, query };
  } catch {
    return null;
  }
}

/** Request body as text: strings pass through, bytes are decoded as UTF-8, objects are JSON-encoded. */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return JSON.stringify(body);
}

/** Maps a thrown error to a status: ChainError keeps its own, anything else is a 500 without internals. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof ChainError) return { status: err.status, message: err.message };
  return { status: 500, message: 'internal error' };
}
