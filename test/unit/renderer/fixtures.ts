// Instrument, band and account shapes as the local exchange lists them (main/localnet/engine/listing.ts).

import type { Account, Band, Instrument, Order } from '../../../preload/contract';

export const SYMBOL = 'BTCUSD7J28';

export const instrument: Instrument = {
  symbol: SYMBOL,
  type: 'inverse',
  template: 'BTCUSD',
  contractusdvalue: 100,
  ticksize: 1,
  ticksperpoint: 10,
  commission: 0.0005,
  reward: 0,
  stopcushion: 2,
  stopprice: 2,
  targetprice: 3,
  crossMarginInitialStop: 15,
  minMarketStop: 1.6,
  minLimitStop: 1.6,
  bandUpperLimit: 0.01,
  bandLowerLimit: 0.01,
  maxLeverage: 100,
  uplDecimalPlaces: 8,
  externalFeed: 'local',
  expiryClass: 'weekly',
  start: Date.UTC(2017, 3, 21, 17, 15),
  expiry: Date.UTC(2099, 3, 28, 17, 15),
  status: 'active',
  introducerReward: 0,
  introducedReward: 0,
  rewardsCalculationInterval: 0,
};

export const band: Band = { price: 10000, min: 9900, max: 10100, instrument: SYMBOL };

export function order(partial: Partial<Order>): Order {
  return {
    uuid: 'u-' + Math.random().toString(16).slice(2),
    userid: 'mUser',
    instrument: SYMBOL,
    side: 'buy',
    quantity: 1,
    filled: 0,
    cancelled: 0,
    price: 10000,
    averagePrice: 0,
    orderType: 'LMT',
    status: 'open',
    entryTime: 1_000_000,
    eventTime: 1_000_000,
    ...partial,
  };
}

export function account(partial: Partial<Account> = {}): Account {
  return {
    userid: 'mUser',
    accountMargin: 100_000_000,
    margin: 90_000_000,
    displayMargin: 90_000_000,
    multisig: 50_000_000,
    positions: {},
    pnl: { userid: 'mUser', accountid: '2N', pnl: 0, commission: 0 },
    orders: {},
    ...partial,
  };
}
