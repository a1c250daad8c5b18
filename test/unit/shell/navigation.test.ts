import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  allowWebviewAttach,
  decideNavigation,
  decideWindowOpen,
  DEFAULT_EXTERNAL_ORIGINS,
  isAllowedExternalUrl,
} from '../../../main/security/navigation';
import { allowDevicePermission, allowPermissionCheck, allowPermissionRequest } from '../../../main/security/permissions';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);
const { hardenWebContents } = await import('../../../main/window');
const { FakeWebContents, fakeElectron } = await import('./fake-electron');

const allow = ['https://mempool.space', 'https://explorer.example:8443'];

describe('isAllowedExternalUrl', () => {
  it.each([
    'https://mempool.space/tx/abcd',
    'https://mempool.space',
    'https://MEMPOOL.space/address/x?y=1#z',
    'https://explorer.example:8443/tx/1',
  ])('allows %s', (url) => {
    expect(isAllowedExternalUrl(url, allow)).toBe(true);
  });

  it.each([
    ['plain http', 'http://mempool.space/tx/abcd'],
    ['another host', 'https://evil.example/'],
    ['a look-alike subdomain', 'https://mempool.space.evil.example/'],
    ['a parent-domain trick', 'https://evilmempool.space/'],
    ['a subdomain of an allowed host', 'https://x.mempool.space/'],
    ['credentials that put the real host after @', 'https://mempool.space@evil.example/'],
    ['credentials on an allowed host', 'https://user:pw@mempool.space/'],
    ['another port', 'https://mempool.space:444/'],
    ['default port missing where 8443 is required', 'https://explorer.example/tx/1'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>1</script>'],
    ['the app itself', 'app://coinpit/index.html'],
    ['a relative URL', '/tx/abcd'],
    ['garbage', 'not a url'],
    ['an empty string', ''],
  ])('refuses %s', (_name, url) => {
    expect(isAllowedExternalUrl(url, allow)).toBe(false);
  });

  it('refuses non-strings', () => {
    expect(isAllowedExternalUrl(undefined, allow)).toBe(false);
    expect(isAllowedExternalUrl(42, allow)).toBe(false);
    expect(isAllowedExternalUrl({ href: 'https://mempool.space' }, allow)).toBe(false);
  });

  it('ignores allowlist entries that are not https origins', () => {
    expect(isAllowedExternalUrl('http://insecure.example/', ['http://insecure.example'])).toBe(false);
    expect(isAllowedExternalUrl('https://x.example/', ['x.example', 'nonsense'])).toBe(false);
  });

  it('uses only https entries in the default allowlist', () => {
    expect(DEFAULT_EXTERNAL_ORIGINS.length).toBeGreaterThan(0);
    for (const entry of DEFAULT_EXTERNAL_ORIGINS) expect(new URL(entry).origin).toBe(entry);
    for (const entry of DEFAULT_EXTERNAL_ORIGINS) expect(entry.startsWith('https://')).toBe(true);
    expect(isAllowedExternalUrl('https://mempool.space/tx/00')).toBe(true);
  });
});

describe('decisions', () => {
  it('never allows navigation, even to the app itself', () => {
    expect(decideNavigation('app://coinpit/index.html', allow)).toEqual({ allow: false, openExternal: false });
    expect(decideNavigation('https://evil.example/', allow)).toEqual({ allow: false, openExternal: false });
    expect(decideNavigation('https://mempool.space/tx/1', allow)).toEqual({ allow: false, openExternal: true });
  });

  it('always denies new windows, handing allowlisted links to the OS browser', () => {
    expect(decideWindowOpen('https://mempool.space/tx/1', allow)).toEqual({ action: 'deny', openExternal: true });
    expect(decideWindowOpen('https://evil.example/', allow)).toEqual({ action: 'deny', openExternal: false });
    expect(decideWindowOpen('about:blank', allow)).toEqual({ action: 'deny', openExternal: false });
  });

  it('refuses webviews and every permission', () => {
    expect(allowWebviewAttach()).toBe(false);
    expect(allowPermissionRequest('media', 'app://coinpit/index.html')).toBe(false);
    expect(allowPermissionCheck('clipboard-read', 'app://coinpit')).toBe(false);
    expect(allowDevicePermission('hid', 'app://coinpit')).toBe(false);
  });
});

describe('hardenWebContents', () => {
  const openExternal = fakeElectron.shell.openExternal;

  beforeEach(() => {
    openExternal.mockClear();
  });

  function hardened() {
    const contents = new FakeWebContents();
    hardenWebContents(contents as never, allow);
    return contents;
  }

  it('cancels will-navigate and opens nothing for a non-allowlisted URL', () => {
    const contents = hardened();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-navigate', event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('cancels will-navigate to an allowlisted URL and opens it in the OS browser', () => {
    const contents = hardened();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-navigate', event, 'https://mempool.space/tx/1');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(openExternal).toHaveBeenCalledWith('https://mempool.space/tx/1');
  });

  it('cancels redirects and webview attachment', () => {
    const contents = hardened();
    const redirect = { preventDefault: vi.fn() };
    const webview = { preventDefault: vi.fn() };
    contents.emit('will-redirect', redirect, 'https://mempool.space/');
    contents.emit('will-attach-webview', webview, {}, {});
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('denies window.open, opening only allowlisted https links externally', () => {
    const contents = hardened();
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(contents.windowOpenHandler?.({ url: 'https://mempool.space/tx/2' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://mempool.space/tx/2');
  });
});
