// Trading through the real server with the project's own client: two users trade, stops and targets trigger on
// index moves, bands hold, expiry settles with a real transaction on the simulated chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { np } from '../../main/coinpit/instruments';
import { fund, mine, newUser, order, post, setIndex, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let c: TestUser;
let sym: string;

beforeEach(async () => {
  net = await startTestNet();
  [a, b, c] = await Promise.all([newUser(net), newUser(net), newUser(net)]);
  for (const u of [a, b, c]) await fund(net, u);
  sym = net.symbols[0]!;
});
afterEach(async () => stopTestNet(net));

const openOf = async (u: TestUser, type?: string) => (await u.client.openOrders(sym)).filter((o) => type === undefined || o.orderType === type);

describe('localnet trading', () => {
  it('two users trade with each other: positions, executions, trades, stop/target pairs', async () => {
    const [ask] = await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000, quantity: 3, targetPrice: 10 })]);
    expect(ask).toMatchObject({ status: 'open', filled: 0, orderType: 'LMT', userid: b.userid });
    const [bid] = await a.client.createOrders(sym, [order(a, sym, { side: 'buy', price: 1000.5, quantity: 2, targetPrice: 10 })]);
    expect(bid).toMatchObject({ filled: 2, averagePrice: 1000 });

    const accA = await a.client.account();
    const accB = await b.client.account();
    expect(accA.positions[sym]).toMatchObject({ quantity: 2, averagePrice: 1000 });
    expect(accB.positions[sym]).toMatchObject({ quantity: -2, averagePrice: 1000 });
    // the taker paid 0.05 % commission, the maker nothing (reward 0)
    expect(accA.pnl!.commission).toBe(Math.round(np(1000, { type: 'inverse', contractusdvalue: 100 }) * 2 * 0.0005));
    expect(accB.pnl!.commission).toBe(0);

    const stpA = await openOf(a, 'STP');
    const tgtA = await openOf(a, 'TGT');
    expect(stpA).toHaveLength(1);
    expect(stpA[0]).toMatchObject({ side: 'sell', price: 995, quantity: 2, oco: tgtA[0]!.uuid });
    expect(tgtA[0]).toMatchObject({ side: 'sell', price: 1010 });
    expect((await openOf(b, 'LMT'))[0]).toMatchObject({ uuid: ask!.uuid, filled: 2, quantity: 3 });

    const trades = await a.client.trades(sym);
    expect(trades[0]).toMatchObject({ instrument: sym, price: 1000, quantity: 2, side: 'buy' });
    const execA = await a.client.executions();
    expect(execA[0]).toMatchObject({ orderid: bid!.uuid, price: 1000, quantity: 2, liquidity: 'taker', side: 'buy' });
    const execB = await b.client.executions();
    expect(execB[0]).toMatchObject({ orderid: ask!.uuid, liquidity: 'maker', commission: 0 });
    const book = await a.client.orderbook(sym);
    expect(book.ask).toBe(1000);
    expect(book.sell[0]).toMatchObject({ price: 1000, totalQuantity: 1, numberOfOrders: 1 });
    const candles = await a.client.candles(sym);
    expect(candles.at(-1)).toMatchObject({ close: 1000, volume: 2 });
  });

  it('a stop triggers on an index move and fills against the book; a target fills when traded through', async () => {
    await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000, targetPrice: 10 })]);
    await a.client.createOrders(sym, [order(a, sym, { side: 'buy', price: 1000, targetPrice: 10 })]);
    const [stpA] = await openOf(a, 'STP');
    const [tgtB] = await openOf(b, 'TGT');
    expect(stpA).toMatchObject({ price: 995, maxStop: 993 });
    expect(tgtB).toMatchObject({ side: 'buy', price: 990 });

    // liquidity for A's stop, then the index falls through the trigger
    await c.client.createOrders(sym, [order(c, sym, { side: 'buy', price: 994, stopPrice: 5 })]);
    await setIndex(net, 994.5);
    expect((await a.client.positions())[sym]).toBeUndefined();
    const stop = await a.client.getOrder(sym, stpA!.uuid);
    expect(stop).toMatchObject({ status: 'filled', triggered: true, averagePrice: 994 });
    expect(await openOf(a)).toEqual([]); // its target went with it (one-cancels-other)
    const closedA = await a.client.closedOrders(sym);
    expect(closedA.map((o) => o.uuid)).toContain(stpA!.uuid);

    // B is short with a target bid at 990: a seller trades through it
    await c.client.createOrders(sym, [order(c, sym, { side: 'sell', price: 990, stopPrice: 5 })]);
    expect((await b.client.positions())[sym]).toBeUndefined();
    expect(await b.client.getOrder(sym, tgtB!.uuid)).toMatchObject({ status: 'filled', orderType: 'TGT' });
    expect(await openOf(b, 'STP')).toEqual([]);
  });

  it('bands hold: a market order does not fill outside the band, and does once the band moves', async () => {
    await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1015 })]);
    const [mkt] = await a.client.createOrders(sym, [order(a, sym, { orderType: 'MKT', price: undefined })]);
    expect(mkt).toMatchObject({ filled: 0, status: 'cancel' });
    expect((await a.client.cancelledOrders(sym))[0]!.uuid).toBe(mkt!.uuid);
    const bands = await a.client.bands();
    expect(bands[sym]).toMatchObject({ price: 1000, min: 990, max: 1010 });

    await setIndex(net, 1010);
    expect((await a.client.bands())[sym]).toMatchObject({ min: 999.9, max: 1020.1 });
    const [mkt2] = await a.client.createOrders(sym, [order(a, sym, { orderType: 'MKT', price: undefined })]);
    expect(mkt2).toMatchObject({ filled: 1, averagePrice: 1015, status: 'filled' });
  });

  it('expiry settles P&L with a real transaction between margin addresses', async () => {
    await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000, quantity: 5 })]);
    await a.client.createOrders(sym, [order(a, sym, { side: 'buy', price: 1000, quantity: 5 })]);
    await setIndex(net, 1008, sym);
    const before = { a: await a.client.account(), b: await b.client.account() };
    const inst = (await a.client.config()).instruments[sym]!;

    const r = await post(`${net.url}/localnet/clock`, { advanceMs: inst.expiry - net.exchange.now() + 1000 });
    expect(r.status).toBe(200);
    expect(r.body.unsettled).toEqual([]);

    const gain = 5 * (np(1000, inst) - np(1008, inst));
    const fee = Math.round(np(1000, inst) * 5 * 0.0005);
    const mempool = net.exchange.chain.mempoolTxids();
    expect(mempool).toHaveLength(1);
    const tx: any = await (await fetch(`${net.url}/esplora/tx/${mempool[0]}`)).json();
    const paid = (addr: string) => tx.vout.filter((o: any) => o.scriptpubkey_address === addr).reduce((s: number, o: any) => s + o.value, 0);
    const spent = (addr: string) => tx.vin.filter((i: any) => i.prevout.scriptpubkey_address === addr).reduce((s: number, i: any) => s + i.prevout.value, 0);
    // A (taker, paid the fee) gains; B loses; the exchange fee address collects the commission and pays the miner
    expect(paid(a.account.serverAddress)).toBe(gain - fee);
    expect(spent(b.account.serverAddress) - paid(b.account.serverAddress)).toBe(gain);
    expect(paid(net.exchange.feeAddress) - spent(net.exchange.feeAddress)).toBe(fee - tx.fee);
    await mine(net);

    const after = { a: await a.client.account(), b: await b.client.account() };
    expect(after.a.positions[sym]).toBeUndefined();
    expect(after.a.orders[sym]).toBeUndefined();
    expect(after.a.accountMargin).toBe(before.a.accountMargin + gain - fee);
    expect(after.b.accountMargin).toBe(before.b.accountMargin - gain);
    expect(after.a.pnl!.pnl).toBe(0);
    expect(after.b.pnl!.pnl).toBe(0);
    // nothing open any more: all of the (moved) margin is available
    expect(after.a.margin).toBe(after.a.accountMargin);
    expect(after.b.margin).toBe(after.b.accountMargin);
    const listed = Object.keys((await a.client.config()).instruments);
    expect(listed).not.toContain(sym);
    expect(listed).toHaveLength(2);
    expect(net.exchange.engine.checkInvariants()).toEqual([]);
  });
});
