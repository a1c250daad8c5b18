// Wallet figures: balances of the multisig and the margin address, the deposit address and the recovery state.

import type { Balances, DepositAddress, RecoveryStatus } from '../../../preload/contract';
import { api, call } from '../lib/bridge';

export class WalletStore {
  balances = $state.raw<Balances | null>(null);
  deposit = $state.raw<DepositAddress | null>(null);
  recovery = $state.raw<RecoveryStatus | null>(null);
  error = $state<string | null>(null);
  #refreshing: Promise<void> | null = null;

  /** Reloads the balances (one request at a time; callers share it). */
  refreshBalances(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        this.balances = await call(() => api().walletBalances());
        this.error = null;
      } catch (err) {
        this.error = err instanceof Error ? err.message : 'Balances could not be loaded.';
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  async loadDeposit(): Promise<void> {
    this.deposit = await call(() => api().walletDepositAddress({}));
  }

  async loadRecovery(): Promise<void> {
    this.onRecovery(await call(() => api().walletRecoveryStatus()));
  }

  /** A status for the same signed transaction may come without its review: the review of that txid still holds. */
  onRecovery(status: RecoveryStatus): void {
    const prev = this.recovery;
    if (status.review === null && status.txid !== null && prev?.txid === status.txid && prev.review) {
      this.recovery = { ...status, review: prev.review };
    } else {
      this.recovery = status;
    }
  }

  clear(): void {
    this.balances = null;
    this.deposit = null;
    this.recovery = null;
    this.error = null;
  }
}

export const wallet = new WalletStore();
