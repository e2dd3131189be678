/**
 * The HTTP entry point in front of several bot replicas, as Caddy is in
 * docker-compose.yml: each request goes to the next replica in turn, and a
 * replica that refuses the connection (it is dead) is skipped for the next.
 * A replica that dies after it took the request is not retried, because the
 * request may have had its effect; the client gets 502, as from a real proxy.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  url: string;
  /** Requests each replica answered, by port. */
  answered: Map<number, number>;
  /** Requests that found a replica dead and went to the next one. */
  skipped: number;
  stop(): Promise<void>;
}

export async function startLoadBalancer(ports: () => number[]): Promise<LoadBalancer> {
  let next = 0;
  const answered = new Map<number, number>();
  const lb: LoadBalancer = { url: '', answered, skipped: 0, stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const targets = ports();
      const first = next++;
      for (let attempt = 0; attempt < targets.length; attempt++) {
        const port = targets[(first + attempt) % targets.length]!;
        const outcome = await forward(port, req, body);
        if (outcome === 'refused') {
          lb.skipped += 1;
          continue;
        }
        if (outcome === 'died') break;
        answered.set(port, (answered.get(port) ?? 0) + 1);
        res.writeHead(outcome.status, outcome.headers);
        res.end(outcome.body);
        return;
      }
      res.writeHead(502).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lb.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  lb.stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return lb;
}

type Forwarded = { status: number; headers: Record<string, string>; body: Buffer } | 'refused' | 'died';

function forward(port: number, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve) => {
    const headers = { ...req.headers, host: `127.0.0.1:${port}` };
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (answer) => {
      readAll(answer).then(
        (data) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(answer.headers)) if (typeof v === 'string' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          resolve({ status: answer.statusCode ?? 502, headers: out, body: data });
        },
        () => resolve('died'),
      );
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'died'));
    upstream.end(body);
  });
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.on('aborted', () => reject(new Error('aborted')));
  });
}
