// One browser scenario's world: the local exchange (restartable on the same port and data), the web host with the
// real services on top of it, and a Chromium page on the app. Also screenshots and problem collection.

import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Config } from '../../../main/coinpit/types';
import { startLocalnet, type Localnet } from '../../../main/localnet/index';
import { startWebHost, type WebHost } from '../../web-host/server';
import { launchChromium } from './chromium';

export const OUTPUT_DIR = path.resolve('test/output');
export const INDEX_PRICE = 10_000;

/** The local exchange as the test drives it. */
export interface LocalControl {
  readonly url: string;
  config(): Config;
  post(what: 'faucet' | 'mine' | 'index' | 'readonly', body: unknown): Promise<unknown>;
  /** Stops the server (clients see the connection drop). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data (the journal is replayed). */
  start(): Promise<void>;
}

export interface Harness {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  host: WebHost;
  exchange: LocalControl;
  /** console errors, page errors and CSP refusals seen in the page */
  problems: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

async function localControl(dataDir: string): Promise<LocalControl> {
  const options = { dataDir, seed: 11, indexPrice: INDEX_PRICE, blockIntervalMs: 0, port: 0 };
  let net: Localnet | null = await startLocalnet(options);
  const port = net.port;
  const url = net.url;
  return {
    url,
    config: () => {
      if (!net) throw new Error('the local exchange is stopped');
      return net.exchange.config();
    },
    post: async (what, body) => {
      const res = await fetch(`${url}/localnet/${what}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`localnet ${what}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    stop: async () => {
      const n = net;
      net = null;
      await n?.close();
    },
    start: async () => {
      if (net) return;
      net = await startLocalnet({ ...options, port });
    },
  };
}

export async function startHarness(rendererDir: string, viewport = { width: 1440, height: 900 }): Promise<Harness> {
  const browser = await launchChromium();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'coinpit-e2e-'));
  let exchange: LocalControl | null = null;
  let host: WebHost | null = null;
  try {
    exchange = await localControl(path.join(dataDir, 'exchange'));
    const ex = exchange;
    host = await startWebHost({
      rendererDir,
      dataDir: path.join(dataDir, 'app'),
      // the services talk to our exchange; closing the services does not stop it (we do, below)
      services: { startLocal: async () => ({ url: ex.url, close: async () => undefined }) },
    });
    const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      const text = m.text();
      if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(text)) problems.push(`console ${m.type()}: ${text}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const h = host;
    return {
      browser,
      context,
      page,
      host: h,
      exchange: ex,
      problems,
      screenshot: async (name) => {
        await page.screenshot({ path: path.join(OUTPUT_DIR, `${name}.png`) });
      },
      close: async () => {
        await context.close().catch(() => undefined);
        await browser.close().catch(() => undefined);
        await h.close().catch(() => undefined);
        await ex.stop().catch(() => undefined);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await host?.close().catch(() => undefined);
    await exchange?.stop().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
