// Debian's Chromium driven by playwright-core. Never downloads a browser: when /usr/bin/chromium (or CHROMIUM_PATH)
// is missing the e2e tests fail with the command that installs it (CI installs it with apt).

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  return (
    `Chromium is not installed at ${CHROMIUM_PATH}. The browser tests need Debian's chromium: ` +
    '`apt-get install -y chromium` (or set CHROMIUM_PATH). They fail rather than skip' +
    (process.env.CI === 'true' ? ' (CI=true).' : '.')
  );
}

export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
