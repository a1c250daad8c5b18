import { isAppUrl } from './app-origin';

/**
 * An IPC message is trusted only when it comes from the app's own page in the top frame. Anything else (an iframe,
 * a page that somehow navigated elsewhere, a destroyed frame with no URL) is refused.
 */
export function isTrustedSender(frameUrl: string | null | undefined, isTopFrame: boolean): boolean {
  return isTopFrame === true && isAppUrl(frameUrl);
}
