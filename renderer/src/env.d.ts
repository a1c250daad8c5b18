import type { CoinpitApi } from '../../preload/contract';

declare global {
  interface Window {
    /** Exposed by preload/index.ts through contextBridge; the only way the page reaches the main process. */
    readonly coinpit: CoinpitApi;
  }
}

export {};
