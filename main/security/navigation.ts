// Navigation, new windows and external links. The app is a single page: it never navigates and never opens a
// window of its own. Links to a few well-known https sites may be handed to the OS browser.

/** https origins the app may open in the user's browser (block explorers for transaction links). */
export const DEFAULT_EXTERNAL_ORIGINS: readonly string[] = Object.freeze([
  'https://mempool.space',
  'https://blockstream.info',
]);

/**
 * True when `url` may be passed to shell.openExternal: it parses, is https, carries no credentials, and its
 * origin (scheme + host + port, as parsed) equals one of `allowlist`. Prefix or substring matches never count.
 */
export function isAllowedExternalUrl(url: unknown, allowlist: readonly string[] = DEFAULT_EXTERNAL_ORIGINS): boolean {
  if (typeof url !== 'string') return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return false;
  return allowlist.some((entry) => originOf(entry) === parsed.origin);
}

function originOf(entry: string): string | null {
  try {
    const parsed = new URL(entry);
    return parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

export interface NavigationDecision {
  /** Whether the webContents may navigate. Always false: the app never leaves its own page. */
  allow: false;
  /** Whether the target should be opened in the OS browser instead. */
  openExternal: boolean;
}

/** will-navigate / will-redirect: always cancelled; allowlisted https links go to the OS browser. */
export function decideNavigation(url: unknown, allowlist: readonly string[] = DEFAULT_EXTERNAL_ORIGINS): NavigationDecision {
  return { allow: false, openExternal: isAllowedExternalUrl(url, allowlist) };
}

export interface WindowOpenDecision {
  /** What setWindowOpenHandler returns. Always 'deny': the app never opens a second Electron window. */
  action: 'deny';
  openExternal: boolean;
}

/** window.open / target=_blank: always denied; allowlisted https links go to the OS browser. */
export function decideWindowOpen(url: unknown, allowlist: readonly string[] = DEFAULT_EXTERNAL_ORIGINS): WindowOpenDecision {
  return { action: 'deny', openExternal: isAllowedExternalUrl(url, allowlist) };
}

/** <webview> attachment: never (webviewTag is off as well). */
export function allowWebviewAttach(): false {
  return false;
}
