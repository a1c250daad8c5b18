// Horizontal lines on the price chart: the user's open entry orders, stops, targets, the position's entry, the
// index and the trading band. Also rendered as a text legend, so the lines have words for screen readers.

import type { Account, Band, Order } from '../../../preload/contract';

export type ChartLineKind = 'order-buy' | 'order-sell' | 'stop' | 'target' | 'entry' | 'index' | 'band';

export interface ChartLine {
  id: string;
  kind: ChartLineKind;
  price: number;
  title: string;
}

function orderLine(o: Order): ChartLine | null {
  if (o.status !== 'open' || typeof o.price !== 'number') return null;
  const open = o.quantity - o.filled - o.cancelled;
  if (o.orderType === 'STP') return { id: o.uuid, kind: 'stop', price: o.price, title: `Stop ${open}` };
  if (o.orderType === 'TGT') return { id: o.uuid, kind: 'target', price: o.price, title: `Target ${open}` };
  const verb = o.side === 'buy' ? 'Buy' : 'Sell';
  return { id: o.uuid, kind: o.side === 'buy' ? 'order-buy' : 'order-sell', price: o.price, title: `${verb} ${open} ${o.orderType}` };
}

export function chartLines(symbol: string | null, account: Account | null, band: Band | null): ChartLine[] {
  const lines: ChartLine[] = [];
  if (!symbol) return lines;
  if (band) {
    lines.push({ id: 'index', kind: 'index', price: band.price, title: 'Index' });
    lines.push({ id: 'band-max', kind: 'band', price: band.max, title: 'Band high' });
    lines.push({ id: 'band-min', kind: 'band', price: band.min, title: 'Band low' });
  }
  const position = account?.positions?.[symbol];
  if (position && position.quantity !== 0) {
    lines.push({ id: 'entry', kind: 'entry', price: position.averagePrice, title: `Entry ${position.quantity > 0 ? 'long' : 'short'} ${Math.abs(position.quantity)}` });
  }
  const orders = Object.values(account?.orders?.[symbol] ?? {}).sort((a, b) => a.entryTime - b.entryTime);
  for (const o of orders) {
    const line = orderLine(o);
    if (line) lines.push(line);
  }
  return lines;
}
