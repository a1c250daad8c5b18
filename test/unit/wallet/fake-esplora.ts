// A tiny programmable Esplora over real HTTP on 127.0.0.1 (random port), for the chain client's tests.
// Each route answers from a handler; `script` queues one-off replies (status, body, hang, or drop the socket).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply = { status: number; body: string } | 'hang' | 'drop';
export type FakeHandler = (method: string, path: string, body: string) => FakeReply;

export class FakeEsplora {
  readonly requests: { method: string; path: string; body: string }[] = [];
  /** one-off replies, consumed first (per request, in order) */
  readonly script: FakeReply[] = [];
  handler: FakeHandler = () => ({ status: 404, body: 'Not Found' });
  #server: Server;
  #hanging = new Set<ServerResponse>();
  url = '';

  constructor() {
    this.#server = createServer((req, res) => this.#serve(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/esplora`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '').replace(/^\/esplora/, '');
      this.requests.push({ method: req.method ?? '', path, body });
      const reply = this.script.shift() ?? this.handler(req.method ?? '', path, body);
      if (reply === 'hang') {
        this.#hanging.add(res);
        return;
      }
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      const json = reply.body.startsWith('{') || reply.body.startsWith('[');
      res.writeHead(reply.status, { 'Content-Type': json ? 'application/json' : 'text/plain' });
      res.end(reply.body);
    });
  }
}
