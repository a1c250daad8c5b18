import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
const configPath = path.join(projectDir, 'electron-builder.yml');
const require = createRequire(import.meta.url);
const schema = require('app-builder-lib/scheme.json') as {
  definitions: Record<string, { properties: Record<string, unknown> }>;
};

const config = await getConfig(projectDir, configPath, null);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validation used here does reject a bad config', async () => {
    const bad = { ...config, electronFuses: { ...config.electronFuses, notAFuse: true } } as unknown as Configuration;
    await expect(validateConfiguration(bad, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
    const worse = { ...config, mac: { ...config.mac, notarize: { teamId: 'X' } } } as unknown as Configuration;
    await expect(validateConfiguration(worse, new DebugLogger(false))).rejects.toThrow();
  });

  it('names the app', () => {
    expect(config.appId).toBe('io.coinpitdesk.app');
    expect(config.productName).toBe('Coinpit Desk');
    expect(config.directories).toMatchObject({ buildResources: 'build', output: 'dist' });
  });

  it('sets every fuse the schema knows, explicitly, to the safe value', () => {
    const fuses = config.electronFuses as Record<string, boolean>;
    const known = Object.keys(schema.definitions['FuseOptionsV1']?.properties ?? {});
    expect(known.length).toBeGreaterThan(5);
    expect(Object.keys(fuses).sort()).toEqual(known.sort());
    expect(fuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    for (const value of Object.values(fuses)) expect(typeof value).toBe('boolean');
  });

  it("packs into an asar and unpacks keytar's native module", () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/keytar/**/*.node');
  });

  it('ships the build output and package.json, not the sources', () => {
    // getConfig normalises `files` to [{ filter: [...] }]; flatten back to the patterns.
    const files = (config.files as Array<string | { filter?: string[] }>).flatMap((f) =>
      typeof f === 'string' ? [f] : (f.filter ?? []),
    );
    expect(files).toContain('out/**');
    expect(files).toContain('package.json');
    const excluded = files.filter((f) => f.startsWith('!')).join(' ');
    for (const dir of ['main', 'preload', 'renderer', 'test']) expect(excluded).toContain(dir);
    const pkg = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main.startsWith('out/')).toBe(true);
  });

  it('builds dmg+zip (hardened, notarized from env), nsis, AppImage/deb/rpm', () => {
    const targets = (list: unknown) => (list as Array<string | { target: string }>).map((t) => (typeof t === 'string' ? t : t.target));
    expect(targets(config.mac?.target)).toEqual(['dmg', 'zip']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.mac?.notarize).toBe(true);
    expect(config.mac?.entitlements).toBe('build/entitlements.mac.plist');
    expect(targets(config.win?.target)).toEqual(['nsis']);
    expect(targets(config.linux?.target)).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.linux?.category).toBe('Finance');
    expect(config.deb?.depends).toContain('libsecret-1-0');
    expect(config.rpm?.depends).toContain('libsecret');
  });
});

describe('build resources', () => {
  const read = (name: string) => readFileSync(path.join(projectDir, 'build', name));

  it('icon.png is a real 512x512 RGBA PNG', () => {
    const png = read('icon.png');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(512);
    expect(png.readUInt32BE(20)).toBe(512);
    expect(png[25]).toBe(6);
  });

  it('icon.ico holds PNG images up to 256x256', () => {
    const ico = read('icon.ico');
    expect(ico.readUInt16LE(0)).toBe(0);
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      sizes.push(ico[entry] === 0 ? 256 : (ico[entry] ?? -1));
      const offset = ico.readUInt32LE(entry + 12);
      const length = ico.readUInt32LE(entry + 8);
      expect(offset + length).toBeLessThanOrEqual(ico.length);
      expect(ico.subarray(offset + 1, offset + 4).toString('ascii')).toBe('PNG');
    }
    expect(sizes).toContain(256);
    expect(sizes).toContain(16);
  });

  it('icon.icns is a well-formed icns with a 512x512 image', () => {
    const icns = read('icon.icns');
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
      types.push(icns.subarray(at, at + 4).toString('ascii'));
      expect(icns.readUInt32BE(at + 4)).toBeGreaterThan(8);
    }
    expect(types).toContain('ic09');
  });

  it('the mac entitlements grant JIT and nothing beyond it', () => {
    const plist = read('entitlements.mac.plist').toString('utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(keys).toEqual(['com.apple.security.cs.allow-jit']);
  });
});
