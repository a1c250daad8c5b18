// Instrument and config defaults of the local exchange and the weekly listing schedule (two expiries listed,
// Friday 17:15 UTC). Values follow the reference `/all/config` payload (test/fixtures/vectors/api_payloads.json).

import { checkInstrument, weeklyExpiry, weeklySymbol } from '../../coinpit/instruments';
import type { Config, Instrument } from '../../coinpit/types';

export const WEEK_MS = 7 * 86_400_000;

/** Template of every BTCUSD weekly: inverse, 100 USD, tick 0.1, taker 0.05 %, maker 0, band ±1 %. */
export const BTCUSD_TEMPLATE: Omit<Instrument, 'symbol' | 'start' | 'expiry' | 'next'> = {
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
  externalFeed: 'coinpit-index#BTCUSD',
  expiryClass: 'weekly',
  status: 'active',
  disabled: false,
  introducerReward: 0,
  introducedReward: 0,
  rewardsCalculationInterval: 14400,
};

export const DEFAULT_CONFIG: Config = {
  network: 'testnet',
  blockchainapi: { uri: '/insight-api', socketuri: '/', provider: 'insight' },
  feePerKB: 50000,
  recoveryFeePerKB: 25000,
  minimumFee: 50000,
  maximumFee: 150000,
  bitcoinDust: 10000,
  sendFundsTXfee: 50000,
  sendFundsMaxTXfee: 1000000,
  maxInputs: 50,
  sliceSize: 10000000,
  sliceThreshold: 10,
  marginFeeThreshold: 0.9,
  feeCheckInterval: 3600000,
  feeChangeTolerance: 0.05,
  reservedTicks: 2,
  maxLeverage: 100,
  maxOrdersCreateUpdate: 100,
  maxPositionsMerge: 20,
  geofence: { block: [] },
  noSignup: false,
  links: {},
};

/** The weekly contract expiring at `expiry` (a Friday 17:15 UTC), listed two weeks before. */
export function weeklyInstrument(
  expiry: number,
  template: Omit<Instrument, 'symbol' | 'start' | 'expiry' | 'next'> = BTCUSD_TEMPLATE,
): Instrument {
  const name = template.template ?? 'BTCUSD';
  const inst: Instrument = {
    ...template,
    symbol: weeklySymbol(expiry, name),
    start: expiry - 2 * WEEK_MS,
    expiry,
    next: weeklySymbol(expiry + WEEK_MS, name),
    status: 'active',
  };
  checkInstrument(inst);
  return inst;
}

/** Expiries of the two weeklies listed at `now`: the first Friday 17:15 UTC strictly after now, and a week later. */
export function listedExpiries(now: number): [number, number] {
  let first = weeklyExpiry(now);
  if (first <= now) first += WEEK_MS;
  return [first, first + WEEK_MS];
}
