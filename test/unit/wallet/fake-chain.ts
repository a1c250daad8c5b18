// In-memory ChainSource and exchange-client doubles for the wallet flow and recovery tests.
import type { AddressBalance, ChainSource, ChainUtxo, FeeEstimates, TxStatus } from '../../../main/wallet/esplora';
import { txidFromHex } from '../../../main/wallet/txbuild';
import type { Config, WithdrawTx } from '../../../main/coinpit/types';
import type { Funded } from './tx-fixtures';

export class MemoryChain implements ChainSource {
  /** address → UTXOs */
  readonly utxos = new Map<string, ChainUtxo[]>();
  readonly txs = new Map<string, string>();
  readonly broadcasts: string[] = [];
  readonly calls: string[] = [];
  tip = 200;
  fees: FeeEstimates = { '1': 30, '6': 10, '144': 2 };
  /** make every call fail (the chain is unreachable) */
  down = false;

  fund(address: string, funded: readonly Funded[], confirmations = 3): void {
    const list = this.utxos.get(address) ?? [];
    for (const f of funded) {
      this.txs.set(f.txid, f.prevTx);
      list.push({ txid: f.txid, vout: f.vout, value: f.value, confirmed: confirmations > 0, status: { confirmed: confirmations > 0 }, height: confirmations > 0 ? this.tip - confirmations + 1 : null, confirmations });
    }
    this.utxos.set(address, list);
  }

  #call(what: string): void {
    this.calls.push(what);
    if (this.down) throw new Error('chain unreachable');
  }

  async tipHeight(): Promise<number> {
    this.#call('tipHeight');
    return this.tip;
  }
  async addressUtxos(address: string): Promise<ChainUtxo[]> {
    this.#call(`utxos ${address}`);
    return (this.utxos.get(address) ?? []).map((u) => ({ ...u }));
  }
  async addressBalance(address: string): Promise<AddressBalance> {
    const list = await this.addressUtxos(address);
    return {
      confirmed: list.filter((u) => u.confirmed).reduce((s, u) => s + u.value, 0),
      unconfirmed: list.filter((u) => !u.confirmed).reduce((s, u) => s + u.value, 0),
    };
  }
  async txHex(txid: string): Promise<string> {
    this.#call(`txHex ${txid}`);
    const hex = this.txs.get(txid);
    if (!hex) throw new Error(`Transaction not found: ${txid}`);
    return hex;
  }
  async txStatus(txid: string): Promise<TxStatus> {
    this.#call(`txStatus ${txid}`);
    if (!this.txs.has(txid)) throw new Error('Transaction not found');
    return { confirmed: false, blockHeight: null, blockHash: null, blockTime: null };
  }
  async broadcast(hex: string): Promise<string> {
    this.#call('broadcast');
    this.broadcasts.push(hex);
    const txid = txidFromHex(hex);
    this.txs.set(txid, hex);
    return txid;
  }
  async feeEstimates(): Promise<FeeEstimates> {
    this.#call('feeEstimates');
    return this.fees;
  }
}

export const CONFIG: Partial<Config> = {
  network: 'testnet',
  feePerKB: 50000,
  recoveryFeePerKB: 25000,
  minimumFee: 1000,
  maximumFee: 100000,
  bitcoinDust: 10000,
};

/** A scripted exchange: config, recoverytx, and recording of every money call. */
export class FakeExchangeClient {
  readonly calls: { method: string; args: unknown[] }[] = [];
  config_: Partial<Config> = { ...CONFIG };
  recovery: () => WithdrawTx = () => {
    throw new Error('no recovery scripted');
  };
  reply: unknown = { txid: 'cd'.repeat(32) };

  async config(): Promise<{ config: Config; instruments: Record<string, never> }> {
    this.calls.push({ method: 'config', args: [] });
    return { config: this.config_ as Config, instruments: {} };
  }
  async recoveryTx(): Promise<WithdrawTx> {
    this.calls.push({ method: 'recoveryTx', args: [] });
    return this.recovery();
  }
  async marginIn(txs: string[]): Promise<unknown> {
    this.calls.push({ method: 'marginIn', args: [txs] });
    return this.reply;
  }
  async marginOut(amount: number): Promise<unknown> {
    this.calls.push({ method: 'marginOut', args: [amount] });
    return this.reply;
  }
  async marginOutAll(): Promise<unknown> {
    this.calls.push({ method: 'marginOutAll', args: [] });
    return this.reply;
  }
  async withdraw(tx: string): Promise<{ txid: string }> {
    this.calls.push({ method: 'withdraw', args: [tx] });
    return this.reply as { txid: string };
  }
  money(): string[] {
    return this.calls.map((c) => c.method).filter((m) => m !== 'config' && m !== 'recoveryTx');
  }
}
