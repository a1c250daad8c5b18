#!/usr/bin/env node
// Draws the app icon (candlesticks on a dark rounded square) and writes build/icon.png (512x512),
// build/icon.ico (16…256, PNG entries) and build/icon.icns (128…1024, PNG entries). Pure Node: zlib only.
// Run: node scripts/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const outDir = fileURLToPath(new URL('../build/', import.meta.url));

// ---- drawing: every shape is a predicate on the unit square [0,1]², sampled 4x4 per pixel -----------------
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const BG_TOP = hex('#1c2b3c');
const BG_BOTTOM = hex('#0b121a');
const GREEN = hex('#2ecc71');
const RED = hex('#e5534b');
const GOLD = hex('#f2a900');

function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

// Candles: [centre x, body top, body bottom, wick top, wick bottom, colour]
const CANDLES = [
  [0.3, 0.48, 0.7, 0.4, 0.78, GREEN],
  [0.5, 0.38, 0.58, 0.3, 0.66, RED],
  [0.7, 0.24, 0.52, 0.17, 0.6, GREEN],
];
const BODY_HALF = 0.065;
const WICK_HALF = 0.012;

function colourAt(x, y) {
  if (!inRoundedRect(x, y, 0.06, 0.06, 0.94, 0.94, 0.2)) return null; // transparent outside the tile
  for (const [cx, bt, bb, wt, wb, colour] of CANDLES) {
    if (inRoundedRect(x, y, cx - BODY_HALF, bt, cx + BODY_HALF, bb, 0.018)) return colour;
    if (Math.abs(x - cx) <= WICK_HALF && y >= wt && y <= wb) return colour;
  }
  // A gold baseline under the candles.
  if (inRoundedRect(x, y, 0.2, 0.82, 0.8, 0.85, 0.015)) return GOLD;
  const t = (y - 0.06) / 0.88;
  return BG_TOP.map((top, i) => top + (BG_BOTTOM[i] - top) * t);
}

function render(size) {
  const rgba = new Uint8Array(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = colourAt((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          if (c === null) continue;
          r += c[0]; g += c[1]; b += c[2]; a += 1;
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        rgba[o] = Math.round(r / a);
        rgba[o + 1] = Math.round(g / a);
        rgba[o + 2] = Math.round(b / a);
      }
      rgba[o + 3] = Math.round((255 * a) / (S * S));
    }
  }
  return rgba;
}

// ---- PNG ----------------------------------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}
function png(size) {
  const rgba = render(size);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- ICO: directory of PNG-compressed images (Windows Vista and later) ---------------------------------------
function ico(sizes) {
  const images = sizes.map((s) => png(s));
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(sizes.length, 4);
  let offset = 6 + 16 * sizes.length;
  const entries = sizes.map((s, i) => {
    const e = Buffer.alloc(16);
    e[0] = s >= 256 ? 0 : s; // 0 means 256
    e[1] = s >= 256 ? 0 : s;
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(images[i].length, 8);
    e.writeUInt32LE(offset, 12);
    offset += images[i].length;
    return e;
  });
  return Buffer.concat([header, ...entries, ...images]);
}

// ---- ICNS: PNG entries by OSType ------------------------------------------------------------------------------
function icns(entries) {
  const parts = entries.map(([type, size]) => {
    const data = png(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

mkdirSync(outDir, { recursive: true });
writeFileSync(new URL('icon.png', `file://${outDir}`), png(512));
writeFileSync(new URL('icon.ico', `file://${outDir}`), ico([16, 24, 32, 48, 64, 128, 256]));
writeFileSync(
  new URL('icon.icns', `file://${outDir}`),
  icns([
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
    ['ic11', 32],
    ['ic12', 64],
    ['ic13', 256],
    ['ic14', 512],
  ]),
);
console.log('wrote build/icon.png, build/icon.ico, build/icon.icns');
