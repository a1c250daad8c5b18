// On-chain balances of the three addresses of an account (PROTOCOL §6.1): the 2-of-2 multisig `accountid`
// (deposits, withdrawals), the margin address `serverAddress` (coins the exchange trades with) and the user's own
// `userid` (where recovery pays). Read from the chain, not from the exchange.
import { walletAccount, type WalletAccount } from './account';
import type { AddressBalance, ChainSource } from './esplora';
import type { Identity } from '../coinpit/identity';

export interface AddressBalanceView extends AddressBalance {
  address: string;
  /** confirmed + unconfirmed, satoshi */
  total: number;
}

export interface WalletBalances {
  multisig: AddressBalanceView;
  margin: AddressBalanceView;
  user: AddressBalanceView;
}

/** The on-chain balance of one address. */
export async function addressBalanceView(chain: Pick<ChainSource, 'addressBalance'>, address: string): Promise<AddressBalanceView> {
  const b = await chain.addressBalance(address);
  return { address, confirmed: b.confirmed, unconfirmed: b.unconfirmed, total: b.confirmed + b.unconfirmed };
}

export async function walletBalances(chain: Pick<ChainSource, 'addressBalance'>, id: Identity | WalletAccount): Promise<WalletBalances> {
  const account = walletAccount(id);
  const [multisig, margin, user] = await Promise.all([
    addressBalanceView(chain, account.accountid),
    addressBalanceView(chain, account.serverAddress),
    addressBalanceView(chain, account.userid),
  ]);
  return { multisig, margin, user };
}
