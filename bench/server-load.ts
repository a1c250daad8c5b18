// The load generator of bench/server.ts: clients that each keep one keep-alive HTTP/1.1 connection with one
// request in flight, signing every order placement with the user's HMAC key exactly as the project's client does
// (§2.3–2.4), all on this process's event loop. (Splitting 16 clients over 2 or 4 processes was measured: the
// same or fewer orders/s on a 2-core machine, the extra processes competing with the server for the cores.)
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { canonicalMessage, hmacAuthorizationForMessage } from '../main/coinpit/auth';
import type { OrderRequest } from '../main/coinpit/types';
import { seededRandom } from '../main/localnet/seeded-random';

export const INDEX = 1000;

export type Variant = 'book' | 'mixed';

export interface BenchUser {
  userid: string;
  secret: string;
}

/** What the clients do. Times are epoch ms (performance.timeOrigin + now). */
export interface LoadPlan {
  host: string;
  port: number;
  /** the signed uri, e.g. /contract/SYM/order/open, and the request path (/api/v1 + uri) */
  uri: string;
  path: string;
  variant: Variant;
  /** users and their seeds (one client each) */
  clients: { user: BenchUser; seed: number }[];
  measureFrom: number;
  end: number;
}

export interface LoadResult {
  /** latencies (ms) of the successful requests started in the measured window */
  latencies: number[];
  errors: Record<string, number>;
  /** CPU of the load generator over the measured window (µs) */
  cpuUs: number;
}

export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Prices on the 0.1 tick: non-crossing limits 0.1–10 USD from the index; crossing ones 0.1–2 USD through it. */
function nextOrder(user: BenchUser, variant: Variant, rnd: () => number): OrderRequest {
  const side = rnd() < 0.5 ? 'buy' : 'sell';
  const crossing = variant === 'mixed' && rnd() < 0.2;
  const ticks = crossing ? 1 + Math.floor(rnd() * 20) : 1 + Math.floor(rnd() * 100);
  const away = (side === 'buy') === crossing ? ticks : -ticks;
  return {
    clientid: randomUUID(),
    userid: user.userid,
    side,
    quantity: 1 + Math.floor(rnd() * 3),
    orderType: 'LMT',
    price: (INDEX * 10 + away) / 10,
    stopPrice: 5,
    targetPrice: rnd() < 0.5 ? 'NONE' : 10,
  };
}


/**
 * One keep-alive HTTP/1.1 connection with one request in flight: the load generator's client. A hand-written
 * client over net.Socket, because node:http's client costs about as much CPU per request as the server under
 * test, and both share this machine's two cores. Responses must carry Content-Length (the server's always do).
 */
class Connection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; text: string }) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  request(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    const socket = this.socket ?? this.connect();
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(`${head}\r\n${body}`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error): void => {
      const w = this.waiting;
      this.waiting = undefined;
      this.socket = undefined;
      this.buffered = Buffer.alloc(0);
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.socket?.destroy(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffered.length < total) return;
    const status = Number(head.slice(9, 12));
    const text = this.buffered.subarray(end + 4, total).toString('utf8');
    this.buffered = this.buffered.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    w?.resolve({ status, text });
  }
}

/** Runs the plan's clients, one connection each, until plan.end. */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let cpuBefore: NodeJS.CpuUsage | undefined;
  const cpuTimer = setTimeout(() => (cpuBefore = process.cpuUsage()), Math.max(0, plan.measureFrom - epochNow()));
  const client = async (user: BenchUser, seed: number): Promise<void> => {
    const conn = new Connection(plan.host, plan.port);
    const rnd = seededRandom(seed);
    try {
      for (;;) {
        const start = epochNow();
        if (start >= plan.end) return;
        const body = [nextOrder(user, plan.variant, rnd)];
        const text = JSON.stringify(body);
        const nonce = Date.now();
        const headers = {
          'Content-Type': 'application/json',
          Nonce: String(nonce),
          Authorization: hmacAuthorizationForMessage(user.userid, user.secret, canonicalMessage('POST', plan.uri, body, nonce)),
        };
        const res = await conn.request('POST', plan.path, headers, text);
        const done = epochNow();
        if (start < plan.measureFrom) continue;
        if (res.status === 200) latencies.push(done - start);
        else {
          const key = `${res.status} ${res.text.slice(0, 80)}`;
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(plan.clients.map((c) => client(c.user, c.seed)));
  clearTimeout(cpuTimer);
  const cpu = process.cpuUsage(cpuBefore);
  return { latencies, errors, cpuUs: cpuBefore ? cpu.user + cpu.system : 0 };
}
