// QR code as an SVG path (one square per dark module), drawn by the component as markup: no canvas, no inline
// styles, nothing the page's Content-Security-Policy would refuse.

import { create } from 'qrcode';

export interface QrPath {
  /** modules per side, including the quiet zone */
  size: number;
  d: string;
}

export function qrPath(text: string, quietZone = 2): QrPath {
  const qr = create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const data = qr.modules.data;
  let d = '';
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (data[row * n + col]) d += `M${col + quietZone} ${row + quietZone}h1v1h-1z`;
    }
  }
  return { size: n + 2 * quietZone, d };
}
