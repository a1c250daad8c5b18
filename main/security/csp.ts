// The renderer's Content-Security-Policy. Everything the page needs ships inside the app, and it talks to the
// main process over IPC only, so nothing is allowed beyond 'self' (plus data: images for generated QR codes).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CSP_HEADER = 'Content-Security-Policy';

export type ResponseHeaders = Record<string, string | string[]>;

/**
 * Response headers with our CSP as the only policy. Any policy the response already carried (in any letter case,
 * enforcing or report-only) is dropped, so a response can never loosen it.
 */
export function withCspHeader(headers: ResponseHeaders | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'content-security-policy' || lower === 'content-security-policy-report-only') continue;
    out[name] = Array.isArray(value) ? [...value] : [value];
  }
  out[CSP_HEADER] = [CONTENT_SECURITY_POLICY];
  return out;
}
