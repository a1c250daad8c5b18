// How the order book draws a side: one canvas with the depth bars and the three columns (price, quantity,
// total), under transparent buttons, one per level, that are clicked, focused, outlined and read aloud (each named
// "Bid 9999.0, 5 contracts, total 12"). A frame of book changes then redraws one canvas and renames the buttons
// whose level changed. Row-by-row markup rewrote a text node in nearly every row (the cumulative totals) and
// restyled every row (the depth bars) in every frame, and each of those is a style, layout and paint step of its
// own in Chromium: 2,000 diffs a second did not fit in a frame.

import { formatPrice } from './format';
import type { ViewLevel } from './book';

/** Height of one level's row in CSS px: the pitch of the drawn rows and the buttons' height. */
export const ROW_PX = 17;

/** Colours and font of a side, from the page's CSS (they follow the theme). */
export interface SideStyle {
  font: string;
  price: string;
  quantity: string;
  total: string;
  bar: string;
}

/** What paintSide needs of a CanvasRenderingContext2D (tests pass a recorder). */
export interface Canvas2D {
  font: string;
  fillStyle: unknown;
  textAlign: string;
  textBaseline: string;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
}

/**
 * Where the columns go in a side `width` px wide: the head's grid (1fr 0.8fr 0.9fr, 4 px gaps, 6 px padding).
 * Prices start at `price`; quantities end at `quantity`, totals at `total` (both right-aligned).
 */
export function columnEdges(width: number): { price: number; quantity: number; total: number } {
  const track = Math.max(0, width - 20) / 2.7;
  return { price: 6, quantity: 6 + track + 4 + 0.8 * track, total: width - 6 };
}

/**
 * Draws a side, rows in the order given: each level's depth bar (its share of the row, from the right edge) and its
 * price, quantity and cumulative total. `width` is in CSS px; `scale` is device pixels per CSS px.
 */
export function paintSide(ctx: Canvas2D, levels: readonly ViewLevel[], width: number, decimals: number, style: SideStyle, scale = 1): void {
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, width, levels.length * ROW_PX);
  ctx.fillStyle = style.bar;
  levels.forEach((l, i) => {
    const w = Math.round(Math.min(1, Math.max(0, l.depth)) * width * scale) / scale;
    if (w > 0) ctx.fillRect(width - w, i * ROW_PX, w, ROW_PX);
  });
  const x = columnEdges(width);
  ctx.font = style.font;
  ctx.textBaseline = 'middle';
  const column = (color: string, align: 'left' | 'right', at: number, text: (l: ViewLevel) => string) => {
    ctx.fillStyle = color;
    ctx.textAlign = align;
    levels.forEach((l, i) => ctx.fillText(text(l), at, i * ROW_PX + ROW_PX / 2));
  };
  column(style.price, 'left', x.price, (l) => formatPrice(l.price, decimals));
  column(style.quantity, 'right', x.quantity, (l) => String(l.quantity));
  column(style.total, 'right', x.total, (l) => String(l.cumulative));
}

/** The accessible name of a level's button: what a screen reader says for the row. */
export function levelName(l: ViewLevel, side: 'bid' | 'ask', decimals: number): string {
  return `${side === 'bid' ? 'Bid' : 'Ask'} ${formatPrice(l.price, decimals)}, ${l.quantity} contracts, total ${l.cumulative}`;
}
