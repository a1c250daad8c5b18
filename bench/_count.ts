import { Engine } from '../main/localnet/engine/engine';
import { workload } from './engine';
const ops = workload(60000);
const now = Date.UTC(2017, 3, 17, 12);
const e = new Engine({ now, seed: 1, index: 10000, historyLimit: 1000, executionLimit: 1000 });
const users = Array.from({ length: 20 }, (_, i) => `mBenchUser${String(i).padStart(24, '0')}`);
for (const u of users) e.setMarginBalance(now, u, 1e15);
const sym = Object.keys(e.instruments())[0]!;
const uuids: string[] = [];
ops.forEach((op, i) => {
  const userid = users[op.user]!;
  if (op.kind === 'cancel') { const u = uuids[op.target]; if (u) e.cancelOrders(now, userid, [u]); return; }
  const out = e.placeOrders(now, userid, [{ clientid: 'b' + i, userid, instrument: sym, side: op.side, quantity: op.qty, orderType: op.kind === 'limit' ? 'LMT' : 'MKT', stopPrice: 5, targetPrice: op.tp, ...(op.kind === 'limit' ? { price: op.tick / 10 } : {}) }]);
  if (out.ok) uuids[i] = out.result[0]!.uuid;
  if (i % 10000 === 0) {
    const c: Record<string, number> = {};
    for (const u of users) for (const o of e.openOrders(u)) c[o.orderType + (o.orderType === 'TGT' && o.price === 'NONE' ? '-none' : '')] = (c[o.orderType] ?? 0) + 1;
    const ob = e.orderbook(sym, 1000)!;
    console.log(i, JSON.stringify(c), 'levels', ob.buy.length, ob.sell.length, 'qty', ob.buy.reduce((a, l) => a + l.totalQuantity, 0), ob.sell.reduce((a, l) => a + l.totalQuantity, 0), ob.bid, ob.ask);
  }
});
