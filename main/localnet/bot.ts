// The local exchange's market-making bot (issue 3 "Liquidity"): an ordinary user of the public API over HTTP and
// socket.io (CoinpitClient, Feed), with no access to the exchange's internals. From its seed it derives two testnet
// keys, a maker and a taker (the engine cancels self-trades, so one user could never trade with itself). Each funds
// its multisig from the faucet and moves margin in with a reviewed, user-signed multisig spend. The maker quotes a
// few bracketed levels (stop and target) around the index of every listed instrument and re-quotes when the band
// moves; the taker now and then sends a small market order across the spread, so trades and candles appear.
// It never throws into the process: every failure is logged and retried with backoff until stop().
import { createHmac, randomUUID } from 'node:crypto';
import * as ecc from 'tiny-secp256k1';
import { Feed } from '../coinpit/feed';
import { encodeWif, identity } from '../coinpit/identity';
import { roundToTick } from '../coinpit/instruments';
import { CoinpitClient } from '../coinpit/rest';
import type { Band, Config, Instrument, OrderRequest, Side } from '../coinpit/types';
import { walletAccount, type WalletAccount } from '../wallet/account';
import { signReviewed } from '../wallet/cosign';
import { signerFromWif } from '../wallet/multisig';
import { buildMarginIn, type Unspent } from '../wallet/txbuild';
import { seededRandom } from './seeded-random';

export interface BotOptions {
  /** host root of the exchange, e.g. http://127.0.0.1:8080 */
  url: string;
  /** same seed → same keys, same quotes */
  seed: number;
  log?: (line: string) => void;
  /** price levels quoted on each side, default 3 */
  levels?: number;
  /** re-quote at least this often even when the band is still (restores filled levels), default 15000 ms */
  requoteMs?: number;
  /** the taker crosses the spread every minCrossMs…maxCrossMs, default 2000…6000 ms */
  minCrossMs?: number;
  maxCrossMs?: number;
}

export interface Bot {
  /** userids of the bot's two accounts (public, safe to log) */
  readonly userids: { maker: string; taker: string };
  stop(): Promise<void>;
}

type Role = 'maker' | 'taker';

/** Faucet payment per top-up (the local faucet pays at most 10 BTC). */
const FAUCET_SAT = 5 * 100_000_000;
/** Top up when the margin address holds less than this or less than a tenth of it is free. */
const MIN_MARGIN_SAT = 1 * 100_000_000;
const TOP_UP_EVERY_MS = 60_000;
const LOOP_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** The taker trades back towards flat beyond this position (contracts). */
const MAX_TAKER_POSITION = 10;
const HTTP_TIMEOUT_MS = 10_000;

/** The bot's WIF for a role: HMAC of the seed, so it is stable across restarts and differs per seed. */
export function botWif(seed: number, role: Role): string {
  for (let counter = 0; ; counter++) {
    const key = new Uint8Array(createHmac('sha256', 'coinpit-desk/localnet-bot').update(`${seed >>> 0}/${role}/${counter}`).digest());
    if (ecc.isPrivate(key)) return encodeWif(key, 'testnet');
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Participant {
  role: Role;
  client: CoinpitClient;
  signerWif: string;
  account?: WalletAccount;
  ready: boolean;
  lastTopUp: number;
}

interface Quoted {
  index: number;
  at: number;
}

class MarketMaker implements Bot {
  readonly userids: { maker: string; taker: string };
  readonly #url: string;
  readonly #log: (line: string) => void;
  readonly #random: () => number;
  readonly #levels: number;
  readonly #requoteMs: number;
  readonly #minCrossMs: number;
  readonly #maxCrossMs: number;
  readonly #maker: Participant;
  readonly #taker: Participant;
  #feed?: Feed;
  #config?: Config;
  #instruments: Record<string, Instrument> = {};
  #bands: Record<string, Band> = {};
  #readonly = false;
  readonly #quoted = new Map<string, Quoted>();
  #nextCross = 0;
  #crossTurn = 0;
  #stopped = false;
  #failures = 0;
  #wake?: () => void;
  #loop?: Promise<void>;

  constructor(opts: BotOptions) {
    if (!opts || typeof opts.url !== 'string') throw new Error('startBot needs {url, seed}');
    if (!Number.isSafeInteger(opts.seed)) throw new Error('startBot: seed must be an integer');
    this.#url = opts.url.replace(/\/+$/, '');
    const log = opts.log ?? (() => undefined);
    this.#log = (line) => {
      try {
        log(`bot: ${line}`);
      } catch {
        /* a failing logger must not stop the bot */
      }
    };
    this.#random = seededRandom(opts.seed ^ 0x5eed_b07);
    const num = (v: number | undefined, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
    this.#levels = Math.max(1, Math.min(10, Math.floor(num(opts.levels, 3))));
    this.#requoteMs = Math.max(1000, num(opts.requoteMs, 15_000));
    this.#minCrossMs = Math.max(100, num(opts.minCrossMs, 2000));
    this.#maxCrossMs = Math.max(this.#minCrossMs, num(opts.maxCrossMs, 6000));
    const participant = (role: Role): Participant => {
      const wif = botWif(opts.seed, role);
      return { role, signerWif: wif, client: new CoinpitClient({ baseUrl: this.#url, wif, timeoutMs: HTTP_TIMEOUT_MS }), ready: false, lastTopUp: 0 };
    };
    this.#maker = participant('maker');
    this.#taker = participant('taker');
    this.userids = { maker: this.#userid(this.#maker), taker: this.#userid(this.#taker) };
  }

  #userid(p: Participant): string {
    return identity(p.signerWif).userid;
  }

  start(): void {
    this.#log(`maker ${this.userids.maker}, taker ${this.userids.taker} on ${this.#url}`);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return this.#loop?.catch(() => undefined);
    this.#stopped = true;
    this.#wake?.();
    this.#feed?.stop();
    // the loop finishes its current step; requests time out after HTTP_TIMEOUT_MS at worst
    await this.#loop?.catch(() => undefined);
    this.#feed?.stop();
    this.#log('stopped');
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#step();
        this.#failures = 0;
        await this.#sleep(LOOP_MS);
      } catch (err) {
        if (this.#stopped) break;
        this.#failures++;
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.#failures, 10)) * (0.75 + 0.5 * this.#random());
        this.#log(`${errorText(err)}; retrying in ${Math.round(delay)} ms`);
        await this.#sleep(delay);
      }
    }
  }

  async #step(): Promise<void> {
    for (const p of [this.#maker, this.#taker]) {
      if (this.#stopped) return;
      if (!p.ready) await this.#setUp(p);
    }
    if (!this.#feed) await this.#startFeed();
    if (this.#readonly || this.#stopped) return;
    const now = Date.now();
    for (const p of [this.#maker, this.#taker]) {
      if (now - p.lastTopUp >= TOP_UP_EVERY_MS) await this.#ensureMargin(p);
    }
    for (const symbol of this.#symbols()) {
      if (this.#stopped) return;
      if (this.#needsQuote(symbol, now)) await this.#quote(symbol);
    }
    if (now >= this.#nextCross && this.#quoted.size > 0) {
      await this.#cross();
      this.#nextCross = Date.now() + this.#minCrossMs + this.#random() * (this.#maxCrossMs - this.#minCrossMs);
    }
  }

  // ------------------------------------------------------------------ accounts and money

  async #setUp(p: Participant): Promise<void> {
    const session = await p.client.register();
    if (!session.publicKey || !session.serverPublicKey) throw new Error(`${p.role}: registration returned no server key`);
    p.account = walletAccount({ ...session, publicKey: session.publicKey });
    this.#config ??= (await p.client.config()).config;
    await this.#ensureMargin(p);
    p.ready = true;
    this.#log(`${p.role} ready (${p.account.userid})`);
  }

  /** Faucet → multisig → margin-in when the margin runs low; at most once a minute per account. */
  async #ensureMargin(p: Participant): Promise<void> {
    p.lastTopUp = Date.now();
    const account = await p.client.account();
    if (account.accountMargin >= MIN_MARGIN_SAT && account.margin >= MIN_MARGIN_SAT / 10) return;
    const a = p.account!;
    let utxos = await this.#utxos(a.accountid);
    if (confirmedTotal(utxos) < FAUCET_SAT / 2) {
      await this.#post('/localnet/faucet', { address: a.accountid, amount: FAUCET_SAT });
      utxos = await this.#utxos(a.accountid);
    }
    const config = this.#config ?? (await p.client.config()).config;
    const built = buildMarginIn(a, utxos, {
      amount: 'max',
      feePerKB: config.feePerKB,
      dust: config.bitcoinDust,
      minimumFee: config.minimumFee,
      maximumFee: config.maximumFee,
    });
    // The same path as the app: review against what was asked (everything to the margin address), then sign.
    const prevTxs: Record<string, string> = {};
    for (const input of built.inputs) prevTxs[input.txid] ??= await this.#text(`/esplora/tx/${input.txid}/hex`);
    const signed = signReviewed(built.tx, {
      account: a,
      intent: { kind: 'margin-in', amount: 'max' },
      maximumFee: config.maximumFee,
      declaredNetwork: config.network,
      accountUtxos: built.inputs,
      prevTxs,
    }, signerFromWif(p.signerWif));
    await p.client.marginIn([signed.hex]);
    await this.#post('/localnet/mine', { blocks: 1 });
    this.#log(`${p.role} moved ${built.amount} sat of margin in (${signed.txid})`);
  }

  async #utxos(address: string): Promise<Unspent[]> {
    const list = JSON.parse(await this.#text(`/esplora/address/${address}/utxo`)) as unknown;
    if (!Array.isArray(list)) throw new Error(`esplora: UTXO list of ${address} is not an array`);
    return list as Unspent[];
  }

  async #text(path: string): Promise<string> {
    const res = await fetch(this.#url + path, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    const body = await res.text();
    if (!res.ok) throw new Error(`GET ${path} failed with status ${res.status}: ${body.slice(0, 200)}`);
    return body;
  }

  async #post(path: string, body: unknown): Promise<void> {
    const res = await fetch(this.#url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`POST ${path} failed with status ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }

  // ------------------------------------------------------------------ market data (socket)

  async #startFeed(): Promise<void> {
    const feed = new Feed({ client: this.#maker.client, reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 } });
    feed.on('priceband', (bands) => Object.assign(this.#bands, bands));
    feed.on('instruments', (instruments) => {
      this.#instruments = { ...instruments };
    });
    feed.on('readonly', (r) => {
      this.#readonly = r.readonly === true;
    });
    feed.on('resynced', ({ state }) => this.#applyState(state));
    feed.on('error', (err) => this.#log(`feed: ${err.message}`));
    this.#feed = feed;
    try {
      const { state } = await feed.start();
      this.#applyState(state);
    } catch (err) {
      this.#feed = undefined;
      throw err;
    }
    if (this.#stopped) feed.stop();
  }

  #applyState(state: { instruments: Record<string, Instrument>; bands: Record<string, Band>; readonly: boolean }): void {
    this.#instruments = { ...state.instruments };
    this.#bands = { ...state.bands };
    this.#readonly = state.readonly === true;
    this.#quoted.clear(); // after a reconnect, quote afresh
  }

  /** Listed, active instruments that have a band. */
  #symbols(): string[] {
    return Object.values(this.#instruments)
      .filter((i) => i.status === 'active' && !i.disabled && i.expiry > Date.now() && this.#bands[i.symbol] !== undefined)
      .map((i) => i.symbol)
      .sort();
  }

  // ------------------------------------------------------------------ quoting (maker)

  #spacing(inst: Instrument, index: number): number {
    return Math.max(1 / inst.ticksperpoint, roundToTick(index * 0.0005, inst));
  }

  #needsQuote(symbol: string, now: number): boolean {
    const q = this.#quoted.get(symbol);
    const band = this.#bands[symbol];
    const inst = this.#instruments[symbol];
    if (!band || !inst) return false;
    if (!q) return true;
    return Math.abs(band.price - q.index) >= this.#spacing(inst, band.price) / 2 || now - q.at >= this.#requoteMs;
  }

  /** Bracket distances in points: stop about ½ %, target about ¾ % of the index, never under the minimum stop. */
  #bracket(inst: Instrument, index: number): { stopPrice: number; targetPrice: number } {
    const stopPrice = Math.max(roundToTick(Math.max(inst.minLimitStop, inst.minMarketStop), inst, 'ceil'), roundToTick(index * 0.005, inst));
    const targetPrice = Math.max(1 / inst.ticksperpoint, roundToTick(index * 0.0075, inst));
    return { stopPrice, targetPrice };
  }

  async #quote(symbol: string): Promise<void> {
    const inst = this.#instruments[symbol]!;
    const band = this.#bands[symbol]!;
    const userid = this.userids.maker;
    const index = band.price;
    const step = this.#spacing(inst, index);
    const bracket = this.#bracket(inst, index);
    const orders: OrderRequest[] = [];
    for (let level = 1; level <= this.#levels; level++) {
      const bid = Math.max(band.min, roundToTick(index - step * level, inst, 'floor'));
      const ask = Math.min(band.max, roundToTick(index + step * level, inst, 'ceil'));
      for (const [side, price] of [['buy', bid], ['sell', ask]] as const) {
        if (!(price > 0)) continue;
        orders.push({
          clientid: randomUUID(),
          userid,
          instrument: symbol,
          side,
          quantity: 1 + Math.floor(this.#random() * 5),
          orderType: 'LMT',
          price,
          ...bracket,
        });
      }
    }
    // replace our resting entry quotes (never the STP/TGT exits that protect positions) in one request
    const open = await this.#maker.client.openOrders(symbol);
    const stale = open.filter((o) => o.orderType === 'LMT' && o.status === 'open').map((o) => o.uuid);
    const ops = stale.length > 0 ? [{ op: 'remove' as const, value: stale }, { op: 'add' as const, value: orders }] : [{ op: 'add' as const, value: orders }];
    const results = await this.#maker.client.patchOrders(symbol, ops);
    const failed = (Array.isArray(results) ? results : []).filter((r) => r && typeof r.error === 'string' && r.error.length > 0);
    // a failed op (say, a quote filled between the read and the patch) makes the next round quote afresh
    this.#quoted.set(symbol, { index, at: failed.length > 0 ? 0 : Date.now() });
    if (failed.length > 0) throw new Error(`quoting ${symbol}: ${failed.map((r) => `${r.op}: ${r.error}`).join('; ')}`);
  }

  // ------------------------------------------------------------------ crossing (taker)

  async #cross(): Promise<void> {
    const symbols = [...this.#quoted.keys()].filter((s) => this.#symbols().includes(s));
    if (symbols.length === 0) return;
    const symbol = symbols[this.#crossTurn++ % symbols.length]!;
    const inst = this.#instruments[symbol]!;
    const band = this.#bands[symbol]!;
    const positions = await this.#taker.client.positions();
    const held = positions?.[symbol]?.quantity ?? 0;
    let side: Side = this.#random() < 0.5 ? 'buy' : 'sell';
    if (held >= MAX_TAKER_POSITION) side = 'sell';
    else if (held <= -MAX_TAKER_POSITION) side = 'buy';
    const order: OrderRequest = {
      clientid: randomUUID(),
      userid: this.userids.taker,
      instrument: symbol,
      side,
      quantity: 1 + Math.floor(this.#random() * 3),
      orderType: 'MKT',
      ...this.#bracket(inst, band.price),
    };
    const [placed] = await this.#taker.client.createOrders(symbol, [order]);
    if (placed && placed.filled > 0) this.#log(`taker ${side} ${placed.filled} ${symbol} at ${placed.averagePrice}`);
  }
}

function confirmedTotal(utxos: readonly Unspent[]): number {
  return utxos.filter((u) => u.status?.confirmed === true || (u.confirmations ?? 0) > 0).reduce((s, u) => s + u.value, 0);
}

/**
 * Starts the bot against a running exchange and returns at once; setting up (registration, faucet, margin) and
 * quoting happen in the background, retried with backoff until stop().
 */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const bot = new MarketMaker(opts);
  bot.start();
  return bot;
}
