// Measurement hook for the browser benchmark (bench/browser.ts). The benchmark defines
// `window.__coinpitBench = { latencies: [] }` before the app loads; when it is absent (always, in the app) the
// book store records nothing.

export interface BenchProbe {
  /** ms from a book event's arrival to the paint that showed it */
  latencies: number[];
  /** book events received */
  arrivals?: number;
  /** frames in which the book view was published */
  commits?: number;
}

declare global {
  interface Window {
    __coinpitBench?: BenchProbe;
  }
}

export function benchProbe(): BenchProbe | undefined {
  return typeof window === 'undefined' ? undefined : window.__coinpitBench;
}

/** Runs `callback` after the browser has painted the current frame (a message posted from rAF runs after paint). */
export function afterPaint(callback: () => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    callback();
  };
  channel.port2.postMessage(null);
}
