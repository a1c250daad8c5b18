// Frame scheduling: stores that change faster than the screen (the order book) coalesce their changes and publish
// once per animation frame. Tests inject a manual scheduler.

export type FrameScheduler = (callback: () => void) => void;

export const animationFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
};

/** A scheduler that runs callbacks only when `flush()` is called (tests). */
export function manualFrames(): { schedule: FrameScheduler; flush: () => number; pending: () => number } {
  let queue: (() => void)[] = [];
  return {
    schedule: (cb) => {
      queue.push(cb);
    },
    flush: () => {
      const run = queue;
      queue = [];
      for (const cb of run) cb();
      return run.length;
    },
    pending: () => queue.length,
  };
}
