// The "other side" of the e2e scenario: a second trader scripted with the protocol library (CoinpitClient) and the
// wallet modules, funded through the local faucet and a user-signed margin-in transaction.

import { randomUUID } from 'node:crypto';
import { generateWif, identity } from '../../../main/coinpit/identity';
import { CoinpitClient } from '../../../main/coinpit/rest';
import type { Order, OrderRequest } from '../../../main/coinpit/types';
import { walletAccount, type WalletAccount } from '../../../main/wallet/account';
import { parseRedeem, signerFromWif, signTransaction } from '../../../main/wallet/multisig';
import { buildMarginIn, type Unspent } from '../../../main/wallet/txbuild';
import type { LocalControl } from './harness';

export interface SecondUser {
  userid: string;
  client: CoinpitClient;
  account: WalletAccount;
  place(symbol: string, order: Partial<OrderRequest>): Promise<Order[]>;
}

export async function secondUser(exchange: LocalControl, marginSat = 100_000_000): Promise<SecondUser> {
  const wif = generateWif('testnet');
  const client = new CoinpitClient({ baseUrl: exchange.url, wif });
  const session = await client.register();
  const account = walletAccount(identity(wif, session.serverPublicKey));
  await exchange.post('faucet', { address: account.accountid, amount: 3 * marginSat });
  const utxos = (await (await fetch(`${exchange.url}/esplora/address/${account.accountid}/utxo`)).json()) as Unspent[];
  const cfg = exchange.config();
  const built = buildMarginIn(account, utxos, { amount: marginSat, feePerKB: cfg.feePerKB, dust: cfg.bitcoinDust });
  const signed = signTransaction(built.tx, parseRedeem(account.redeem), signerFromWif(wif)).tx.toHex();
  await client.marginIn([signed]);
  await exchange.post('mine', { blocks: 1 });
  return {
    userid: session.userid,
    client,
    account,
    place: (symbol, o) =>
      client.createOrders(symbol, [
        { clientid: randomUUID(), userid: session.userid, instrument: symbol, side: 'sell', quantity: 1, orderType: 'LMT', stopPrice: 5, targetPrice: 'NONE', ...o } as OrderRequest,
      ]),
  };
}
