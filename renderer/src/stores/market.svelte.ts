// Public market data of the connected exchange: instruments, bands (index), config, recent trades and candles of
// the selected instrument. The book itself lives in book.svelte.ts (it updates per frame).

import type { Band, Candle, Config, Instrument, Trade } from '../../../preload/contract';
import { api, call } from '../lib/bridge';
import { mergeTrades } from '../lib/candles';
import { book } from './book.svelte';

export const TRADES_KEPT = 60;

/** Active, unexpired instruments, nearest expiry first. */
export function tradable(instruments: Record<string, Instrument>, now = Date.now()): Instrument[] {
  return Object.values(instruments)
    .filter((i) => i.status !== 'expired' && !i.disabled && i.expiry > now)
    .sort((a, b) => a.expiry - b.expiry || a.symbol.localeCompare(b.symbol));
}

export class Market {
  instruments = $state.raw<Record<string, Instrument>>({});
  bands = $state.raw<Record<string, Band>>({});
  config = $state.raw<Config | null>(null);
  symbol = $state<string | null>(null);
  trades = $state.raw<Trade[]>([]);
  candles = $state.raw<Candle[]>([]);
  loadError = $state<string | null>(null);

  get instrument(): Instrument | null {
    return this.symbol ? (this.instruments[this.symbol] ?? null) : null;
  }

  get band(): Band | null {
    return this.symbol ? (this.bands[this.symbol] ?? null) : null;
  }

  get decimals(): number {
    return this.instrument?.ticksize ?? 1;
  }

  get list(): Instrument[] {
    return tradable(this.instruments);
  }

  /** Loads instruments, bands and config, then selects an instrument (the current one if still listed). */
  async load(): Promise<void> {
    this.loadError = null;
    try {
      const bridge = api();
      const [instruments, bands, config] = await Promise.all([
        call(() => bridge.marketInstruments()),
        call(() => bridge.marketBands()),
        call(() => bridge.marketConfig()),
      ]);
      this.instruments = instruments;
      this.bands = bands;
      this.config = config;
      const keep = this.symbol && instruments[this.symbol] ? this.symbol : (tradable(instruments)[0]?.symbol ?? null);
      await this.select(keep, true);
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : 'Market data could not be loaded.';
    }
  }

  /** Selects an instrument and loads its book, trades and candles. */
  async select(symbol: string | null, force = false): Promise<void> {
    if (symbol === this.symbol && !force) return;
    this.symbol = symbol;
    book.select(symbol, symbol ? (this.instruments[symbol]?.ticksperpoint ?? 10) : 10);
    this.trades = [];
    this.candles = [];
    if (!symbol) return;
    const bridge = api();
    const [snapshot, trades, candles] = await Promise.allSettled([
      call(() => bridge.marketBook({ symbol })),
      call(() => bridge.marketTrades({ symbol })),
      call(() => bridge.marketCandles({ symbol })),
    ]);
    if (this.symbol !== symbol) return;
    if (snapshot.status === 'fulfilled') book.snapshot(symbol, snapshot.value);
    if (trades.status === 'fulfilled') this.trades = trades.value.slice(0, TRADES_KEPT);
    if (candles.status === 'fulfilled') this.candles = mergeTrades(candles.value, this.trades);
    const failed = [snapshot, trades, candles].find((r) => r.status === 'rejected');
    this.loadError = failed && failed.status === 'rejected' ? String((failed.reason as Error)?.message ?? failed.reason) : null;
  }

  /** Reloads the selected instrument's book snapshot (after a reconnect). */
  async reloadBook(): Promise<void> {
    const symbol = this.symbol;
    if (!symbol) return;
    try {
      const snapshot = await call(() => api().marketBook({ symbol }));
      book.snapshot(symbol, snapshot);
    } catch {
      // the next snapshot event fixes it
    }
  }

  onTrades(trades: Trade[]): void {
    const mine = trades.filter((t) => t.instrument === this.symbol);
    if (mine.length === 0) return;
    this.trades = [...mine, ...this.trades].slice(0, TRADES_KEPT);
    this.candles = mergeTrades(this.candles, mine);
  }

  onBands(bands: Record<string, Band>): void {
    this.bands = { ...this.bands, ...bands };
  }

  onInstruments(instruments: Record<string, Instrument>): void {
    this.instruments = { ...this.instruments, ...instruments };
    if (!this.symbol || !this.instruments[this.symbol] || this.instruments[this.symbol]?.status === 'expired') {
      void this.select(tradable(this.instruments)[0]?.symbol ?? null);
    }
  }

  clear(): void {
    this.instruments = {};
    this.bands = {};
    this.config = null;
    this.symbol = null;
    this.trades = [];
    this.candles = [];
    book.select(null);
  }
}

export const market = new Market();
