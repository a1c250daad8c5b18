// Browser benchmark (`npm run bench -- browser`): the built renderer in headless Chromium through the web host, fed
// 2,000 order-book diffs per second for 10 s. The diffs are real: a market maker's order adds and cancels on the
// local exchange (in-process commands, journaled as usual) → socket.io → the app's services → web host WebSocket →
// the page's book store. The services' 50 ms book coalescing is switched off (its timer fires on the next turn), so
// the page receives the diffs one by one instead of 20 merged ones a second.
//
// Reports, from inside the page: frame times (rAF to rAF) p50/p95/p99 and a diff's arrival (in the book store) to
// the paint that showed it, p50/p95/p99. Goal (issue): p95 frame ≤ 16.7 ms, p99 arrival-to-paint ≤ 50 ms.
// Options: `npx tsx bench/browser.ts [diffsPerSecond] [seconds]`.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/e2e/helpers/chromium';
import { buildRenderer } from '../test/e2e/helpers/renderer-build';
import { startWebHost, type WebHost } from '../test/web-host/server';

export interface BrowserBenchResult {
  diffsPerSecondTarget: number;
  seconds: number;
  /** exchange commands issued (each changes one book level) */
  commands: number;
  /** book events the app's services forwarded to the page (fewer than commands when the host falls behind) */
  forwarded: number;
  /** book events the page received during the measured window */
  arrivals: number;
  arrivalsPerSecond: number;
  /** frames in which the book view was published */
  commits: number;
  frames: number;
  frameMs: { p50: number; p95: number; p99: number; max: number };
  /** 1-minute load average per CPU at the end: figures from a busy machine are not comparable */
  loadPerCpu: number;
  arrivalToPaintMs: { p50: number; p95: number; p99: number; max: number };
}

interface PageProbe {
  latencies: number[];
  arrivals: number;
  commits: number;
  frames: number[];
  recording: boolean;
}

function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number));
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), max: r(s.at(-1) ?? NaN) };
}

/** The feeder child process (exchange + market maker). */
class Feeder {
  readonly child: ChildProcess;
  url = '';
  symbol = '';
  #waiting: ((m: FeederMessage) => void)[] = [];

  constructor(dataDir: string) {
    const file = fileURLToPath(new URL('./browser-feeder.ts', import.meta.url));
    this.child = fork(file, [dataDir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FeederMessage) => this.#waiting.shift()?.(m));
  }

  next(): Promise<FeederMessage> {
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`the feeder exited (${code})`)));
    });
  }

  async feed(ms: number, rate: number): Promise<{ fed: number; refused: number }> {
    const reply = this.next();
    this.child.send({ feed: { ms, rate } });
    return (await reply) as { fed: number; refused: number };
  }

  stop(): void {
    if (this.child.connected) this.child.send({ stop: true });
    setTimeout(() => this.child.kill(), 2000).unref();
  }
}

type FeederMessage = { ready: string; symbol: string } | { fed: number; refused: number };

export async function benchBrowser(diffsPerSecond = 2000, seconds = 10): Promise<BrowserBenchResult> {
  const work = await mkdtemp(path.join(tmpdir(), 'coinpit-bench-browser-'));
  const feeder = new Feeder(path.join(work, 'exchange'));
  let host: WebHost | null = null;
  let browser: Browser | null = null;
  try {
    const [rendererDir, ready] = await Promise.all([buildRenderer(path.join(work, 'renderer')), feeder.next()]);
    if (!('ready' in ready)) throw new Error('the feeder did not start');
    const url = ready.ready;
    host = await startWebHost({
      rendererDir,
      dataDir: path.join(work, 'app'),
      services: {
        startLocal: async () => ({ url, close: async () => undefined }),
        // no coalescing window: every diff is forwarded on the next turn of the event loop
        timers: { set: (fn) => setImmediate(fn), clear: (handle) => clearImmediate(handle as NodeJS.Immediate) },
      },
    });
    // the first-run profile gets a key and connects before the page opens, so the page starts on the trade view
    const table = host.services.table;
    const profiles = await table.profilesList(undefined);
    if (!profiles.activeId) throw new Error('no active profile');
    await table.profilesGenerateKey({ id: profiles.activeId });
    await table.connectionConnect(undefined);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // a string, not a function: tsx would wrap named inner functions in a helper the page does not have
    await page.addInitScript({
      content: `(() => {
        const probe = { latencies: [], arrivals: 0, commits: 0, frames: [], recording: false };
        window.__coinpitBench = probe;
        let last = 0;
        const tick = (t) => {
          if (probe.recording && last > 0) probe.frames.push(t - last);
          last = t;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      })();`,
    });
    await page.goto(host.url);
    await page.getByTestId('order-book').waitFor({ timeout: 30_000 });
    const symbol = await page.getByLabel('Instrument').inputValue();
    if (symbol !== ready.symbol) throw new Error(`the page shows ${symbol}, the feeder trades ${ready.symbol}`);

    let hostEvents = 0;
    const off = host.services.on((event) => {
      if (event === 'bookDiff' || event === 'book') hostEvents++;
    });
    await feeder.feed(1000, diffsPerSecond); // warm-up: JIT, a populated book
    await page.evaluate(`(() => {
      const p = window.__coinpitBench;
      p.latencies.length = 0;
      p.frames.length = 0;
      p.arrivals = 0;
      p.commits = 0;
      p.recording = true;
    })()`);
    hostEvents = 0;
    const fed = await feeder.feed(seconds * 1000, diffsPerSecond);
    await new Promise((r) => setTimeout(r, 300)); // the last diffs reach the page and paint
    const probe = await page.evaluate<PageProbe>(`(() => {
      const p = window.__coinpitBench;
      p.recording = false;
      return p;
    })()`);
    off();
    if (fed.refused > 0) console.error(`bench browser: ${fed.refused} exchange commands were refused`);
    return {
      diffsPerSecondTarget: diffsPerSecond,
      seconds,
      commands: fed.fed,
      forwarded: hostEvents,
      arrivals: probe.arrivals,
      arrivalsPerSecond: Math.round(probe.arrivals / seconds),
      commits: probe.commits,
      frames: probe.frames.length,
      frameMs: percentiles(probe.frames),
      arrivalToPaintMs: percentiles(probe.latencies),
      loadPerCpu: Math.round((loadavg()[0] ?? 0) / Math.max(1, cpus().length) * 100) / 100,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    feeder.stop();
    await rm(work, { recursive: true, force: true });
  }
}

export function printBrowserBench(r: BrowserBenchResult): void {
  console.log(JSON.stringify(r));
  console.log(`browser: ${r.commands} book changes in ${r.seconds} s (target ${r.diffsPerSecondTarget}/s); the web host forwarded ${r.forwarded}; the page received ${r.arrivals} (${r.arrivalsPerSecond}/s) and rendered ${r.commits} frames of book`);
  console.log(`  frame time          p50 ${r.frameMs.p50} ms   p95 ${r.frameMs.p95} ms   p99 ${r.frameMs.p99} ms   max ${r.frameMs.max} ms   (${r.frames} frames; goal p95 ≤ 16.7)`);
  if (r.loadPerCpu > 1) console.log(`  (the machine was busy: load ${r.loadPerCpu} per CPU; run again on an idle machine for comparable figures)`);
  console.log(`  arrival → paint     p50 ${r.arrivalToPaintMs.p50} ms   p95 ${r.arrivalToPaintMs.p95} ms   p99 ${r.arrivalToPaintMs.p99} ms   max ${r.arrivalToPaintMs.max} ms   (goal p99 ≤ 50)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rate = Number(process.argv[2] ?? 2000);
  const seconds = Number(process.argv[3] ?? 10);
  benchBrowser(rate, seconds).then(printBrowserBench, (err: unknown) => {
    console.error(`bench browser failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
