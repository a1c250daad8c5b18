// Where the renderer lives: a privileged custom scheme instead of file://, so the page has a real origin that
// CSP 'self', the sender check and the navigation guard can all pin down.
export const APP_SCHEME = 'app';
export const APP_HOST = 'coinpit';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * True when `url` is a page of the app itself: scheme `app:`, host `coinpit` (any case), no port, no credentials.
 * Node's URL gives origin "null" for custom schemes, so the parts are compared one by one.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string' || url.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Chromium lower-cases the host of a standard scheme; Node's parser does not, hence toLowerCase().
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host.toLowerCase() === APP_HOST &&
    parsed.username === '' &&
    parsed.password === ''
  );
}
