// Serves the built renderer (out/renderer) for app://coinpit/… requests. Plain Node, no Electron: index.ts wraps
// loadAppResource() in protocol.handle().
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_HOST, APP_SCHEME } from './security/app-origin';
import { CONTENT_SECURITY_POLICY } from './security/csp';

const INDEX_FILE = 'index.html';

/**
 * The file an app:// URL refers to, as an absolute path inside `rootDir`, or null when the URL must not be served:
 * another scheme or host, credentials or a port, `.`/`..` segments (plain, percent- or double-encoded), encoded slashes or
 * backslashes, NUL, drive letters (`C:`), empty segments (`//etc/passwd`), or a path that would leave `rootDir`.
 * Query string and fragment are ignored. `app://coinpit/` maps to index.html.
 *
 * The raw text of the URL is inspected, not a parsed URL, because URL parsers resolve dot segments silently and
 * a request that tries to climb out is refused rather than quietly repaired.
 */
export function resolveAppPath(rootDir: string, url: string): string | null {
  if (typeof rootDir !== 'string' || rootDir.length === 0 || typeof url !== 'string') return null;
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(url);
  if (!match) return null;
  const [, scheme = '', host = '', rawPath = ''] = match;
  if (scheme.toLowerCase() !== APP_SCHEME || host.toLowerCase() !== APP_HOST) return null;

  if (rawPath === '' || rawPath === '/') return path.join(path.resolve(rootDir), INDEX_FILE);
  if (!rawPath.startsWith('/')) return null;

  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    const segment = decodeSegment(raw);
    if (segment === null || !isSafeSegment(segment)) return null;
    segments.push(segment);
  }

  const root = path.resolve(rootDir);
  const full = path.resolve(root, ...segments);
  const rel = path.relative(root, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return full;
}

function decodeSegment(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function isSafeSegment(segment: string): boolean {
  if (segment === '' || segment === '.' || segment === '..') return false;
  // Separators and NUL can only get here percent-encoded; ':' rules out drive letters and NTFS streams; a '%'
  // left after decoding means double encoding, which no built file name has.
  return !/[/\\\0:%]/.test(segment) && !path.isAbsolute(segment);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

export interface AppResource {
  status: 200 | 404 | 405;
  headers: Record<string, string>;
  /** null for HEAD requests and errors without a body. */
  body: Uint8Array | string | null;
}

export type ReadFile = (filePath: string) => Promise<Uint8Array>;

function baseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/**
 * The response for one app:// request. Unknown or unsafe URLs and missing files get 404 (no index.html fallback:
 * the renderer has no client-side routes, so a miss is a bug worth seeing). Only GET and HEAD are served.
 */
export async function loadAppResource(
  rootDir: string,
  url: string,
  method = 'GET',
  readFile: ReadFile = fsReadFile,
): Promise<AppResource> {
  const upper = method.toUpperCase();
  if (upper !== 'GET' && upper !== 'HEAD') {
    return { status: 405, headers: { ...baseHeaders('text/plain; charset=utf-8'), Allow: 'GET, HEAD' }, body: 'Method not allowed' };
  }
  const filePath = resolveAppPath(rootDir, url);
  if (filePath === null) return notFound();
  let data: Uint8Array;
  try {
    data = await readFile(filePath);
  } catch {
    return notFound(); // ENOENT, EISDIR, EACCES…: the renderer only ever asks for files the build produced
  }
  return { status: 200, headers: baseHeaders(contentTypeFor(filePath)), body: upper === 'HEAD' ? null : data };
}

function notFound(): AppResource {
  return { status: 404, headers: baseHeaders('text/plain; charset=utf-8'), body: 'Not found' };
}
