// The state of one user action (a button): busy while it runs, its error shown next to it in words, and an
// optional success note. Each control that can fail owns one, so errors appear where the user acted.

import { errorCode, errorText } from './bridge';

export class Action {
  busy = $state(false);
  error = $state<string | null>(null);
  errorCode = $state<string | null>(null);
  done = $state<string | null>(null);

  /** Runs `task`; returns its value, or undefined when it failed (the error is kept for display). */
  async run<T>(task: () => Promise<T>, doneText?: string | ((value: T) => string | null)): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    this.error = null;
    this.errorCode = null;
    this.done = null;
    try {
      const value = await task();
      this.done = typeof doneText === 'function' ? doneText(value) : (doneText ?? null);
      return value;
    } catch (err) {
      this.error = errorText(err);
      this.errorCode = errorCode(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  fail(message: string): void {
    this.error = message;
    this.done = null;
  }

  reset(): void {
    this.error = null;
    this.errorCode = null;
    this.done = null;
  }
}
