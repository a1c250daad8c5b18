import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, withCspHeader } from '../../../main/security/csp';

function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values);
  }
  return map;
}

describe('CONTENT_SECURITY_POLICY', () => {
  const policy = directives(CONTENT_SECURITY_POLICY);

  it('denies everything by default', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
  });

  it('allows scripts and styles from the app only: no inline, no eval, no remote hosts', () => {
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|wasm-unsafe|\*|https?:|ws:|wss:|blob:/);
  });

  it('lets the page connect only to itself (the main process is reached over IPC)', () => {
    expect(policy.get('connect-src')).toEqual(["'self'"]);
  });

  it('forbids plugins, frames, base changes and form posts', () => {
    for (const name of ['object-src', 'frame-src', 'base-uri', 'form-action', 'frame-ancestors']) {
      expect(policy.get(name), name).toEqual(["'none'"]);
    }
  });
});

describe('withCspHeader', () => {
  it('adds the policy when the response had none and keeps other headers as arrays', () => {
    expect(withCspHeader({ 'Content-Type': 'text/html', 'X-A': ['1', '2'] })).toEqual({
      'Content-Type': ['text/html'],
      'X-A': ['1', '2'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
  });

  it('replaces an existing policy whatever its letter case, so a response cannot loosen it', () => {
    const out = withCspHeader({ 'CONTENT-security-POLICY': ["script-src 'unsafe-inline'"], 'content-security-policy': 'x' });
    expect(Object.keys(out)).toEqual(['Content-Security-Policy']);
    expect(out['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
  });

  it('drops report-only policies too', () => {
    const out = withCspHeader({ 'Content-Security-Policy-Report-Only': ['default-src *'] });
    expect(Object.keys(out)).toEqual(['Content-Security-Policy']);
  });

  it('handles missing headers', () => {
    expect(withCspHeader(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('does not modify the headers it was given', () => {
    const input = { 'Content-Security-Policy': ['default-src *'], A: ['1'] };
    withCspHeader(input);
    expect(input).toEqual({ 'Content-Security-Policy': ['default-src *'], A: ['1'] });
  });
});

describe('renderer/index.html', () => {
  const html = readFileSync(new URL('../../../renderer/index.html', import.meta.url), 'utf8');

  it('carries the same policy in a meta tag (minus frame-ancestors, which meta tags cannot set)', () => {
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta).not.toBeNull();
    const expected = new Map(directives(CONTENT_SECURITY_POLICY));
    expected.delete('frame-ancestors');
    expect(directives(meta?.[1] ?? '')).toEqual(expected);
  });

  it('has no inline script', () => {
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc=/);
  });
});
