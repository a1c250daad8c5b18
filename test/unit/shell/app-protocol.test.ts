import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeFor, loadAppResource, resolveAppPath } from '../../../main/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/security/csp';

const root = path.resolve('/srv/app/out/renderer');

describe('resolveAppPath', () => {
  it.each([
    ['app://coinpit/index.html', 'index.html'],
    ['app://coinpit/assets/index-abc.js', 'assets/index-abc.js'],
    ['app://coinpit/', 'index.html'],
    ['app://coinpit', 'index.html'],
    ['app://COINPIT/index.html', 'index.html'],
    ['APP://coinpit/index.html', 'index.html'],
    ['app://coinpit/assets/my%20font.woff2', 'assets/my font.woff2'],
    ['app://coinpit/index.html?x=../../etc/passwd', 'index.html'],
    ['app://coinpit/index.html#/../../secret', 'index.html'],
    ['app://coinpit/assets/a.js?v=1&w=%2e%2e', 'assets/a.js'],
    ['app://coinpit/..a/b..', '..a/b..'],
  ])('maps %s into the root', (url, relative) => {
    expect(resolveAppPath(root, url)).toBe(path.join(root, ...relative.split('/')));
  });

  it.each([
    ['parent segment', 'app://coinpit/../secret'],
    ['parent segment in the middle', 'app://coinpit/assets/../../secret'],
    ['dot segment', 'app://coinpit/./index.html'],
    ['encoded parent segment', 'app://coinpit/%2e%2e/secret'],
    ['mixed-case encoded parent segment', 'app://coinpit/%2E%2e/secret'],
    ['half-encoded parent segment', 'app://coinpit/.%2e/secret'],
    ['encoded slash', 'app://coinpit/assets%2f..%2f..%2fsecret'],
    ['encoded slash inside a name', 'app://coinpit/a%2Fb'],
    ['backslash', 'app://coinpit/assets\\..\\secret'],
    ['encoded backslash', 'app://coinpit/assets%5c..%5csecret'],
    ['double-encoded parent segment', 'app://coinpit/%252e%252e/secret'],
    ['NUL byte', 'app://coinpit/index.html%00.png'],
    ['absolute path via empty segment', 'app://coinpit//etc/passwd'],
    ['encoded absolute path', 'app://coinpit/%2fetc%2fpasswd'],
    ['Windows drive letter', 'app://coinpit/C:/Windows/win.ini'],
    ['encoded Windows drive letter', 'app://coinpit/C%3A%5CWindows'],
    ['trailing slash (a directory)', 'app://coinpit/assets/'],
    ['broken percent-encoding', 'app://coinpit/%E0%A4%A'],
  ])('refuses %s', (_name, url) => {
    expect(resolveAppPath(root, url)).toBeNull();
  });

  it.each([
    ['another host', 'app://evil/index.html'],
    ['an empty host (absolute file path)', 'app:///etc/passwd'],
    ['a host with a port', 'app://coinpit:80/index.html'],
    ['credentials', 'app://user@coinpit/index.html'],
    ['a look-alike host', 'app://coinpit.evil/index.html'],
    ['file:', 'file:///etc/passwd'],
    ['https:', 'https://coinpit/index.html'],
    ['a bare path', '/etc/passwd'],
    ['a relative path', '../secret'],
    ['nothing', ''],
  ])('refuses %s', (_name, url) => {
    expect(resolveAppPath(root, url)).toBeNull();
  });

  it('refuses a missing root', () => {
    expect(resolveAppPath('', 'app://coinpit/index.html')).toBeNull();
  });
});

describe('contentTypeFor', () => {
  it('knows the types a Vite build emits and defaults to octet-stream', () => {
    expect(contentTypeFor('/x/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('/x/a.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('/x/a.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('/x/a.woff2')).toBe('font/woff2');
    expect(contentTypeFor('/x/a.svg')).toBe('image/svg+xml');
    expect(contentTypeFor('/x/unknown.bin')).toBe('application/octet-stream');
  });
});

describe('loadAppResource (real files in a temp dir)', () => {
  let base: string;
  let rendererDir: string;

  beforeAll(() => {
    base = mkdtempSync(path.join(tmpdir(), 'coinpit-app-protocol-'));
    rendererDir = path.join(base, 'renderer');
    mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(base, 'secret.txt'), 'do not serve');
  });

  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it('serves index.html with its type, the CSP and nosniff', async () => {
    const res = await loadAppResource(rendererDir, 'app://coinpit/index.html');
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body as Uint8Array).toString()).toBe('<!doctype html><title>t</title>');
    expect(res.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(res.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('serves an asset, ignoring the query string', async () => {
    const res = await loadAppResource(rendererDir, 'app://coinpit/assets/app.js?t=123');
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(Buffer.from(res.body as Uint8Array).toString()).toBe('console.log(1)');
  });

  it('answers 404 for a missing file (no index.html fallback)', async () => {
    const res = await loadAppResource(rendererDir, 'app://coinpit/assets/missing.js');
    expect(res.status).toBe(404);
    expect(res.body).toBe('Not found');
    expect(res.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('answers 404 for a directory', async () => {
    const res = await loadAppResource(rendererDir, 'app://coinpit/assets');
    expect(res.status).toBe(404);
  });

  it.each(['app://coinpit/../secret.txt', 'app://coinpit/%2e%2e/secret.txt', 'app://coinpit/%2e%2e%2fsecret.txt'])(
    'never serves a file next to the root: %s',
    async (url) => {
      const res = await loadAppResource(rendererDir, url);
      expect(res.status).toBe(404);
      expect(String(res.body)).not.toContain('do not serve');
    },
  );

  it('never serves an absolute path', async () => {
    const res = await loadAppResource(rendererDir, `app://coinpit/${encodeURIComponent(path.join(base, 'secret.txt'))}`);
    expect(res.status).toBe(404);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await loadAppResource(rendererDir, 'app://coinpit/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    const post = await loadAppResource(rendererDir, 'app://coinpit/index.html', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['Allow']).toBe('GET, HEAD');
  });

  it('reads nothing for a refused URL', async () => {
    const reads: string[] = [];
    const readFile = async (p: string) => {
      reads.push(p);
      return new Uint8Array();
    };
    await loadAppResource(rendererDir, 'app://coinpit/../secret.txt', 'GET', readFile);
    await loadAppResource(rendererDir, 'app://evil/index.html', 'GET', readFile);
    expect(reads).toEqual([]);
    await loadAppResource(rendererDir, 'app://coinpit/index.html', 'GET', readFile);
    expect(reads).toEqual([path.join(rendererDir, 'index.html')]);
  });
});
