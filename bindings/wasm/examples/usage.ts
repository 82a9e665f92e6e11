// Type-checked by `npm run typecheck` (tsc --noEmit): the generated
// declarations of the core and the hand-written ones of the Node driver.
import {
  Client,
  Connection,
  Pool,
  fetchAll,
  type ConnectionEvent,
  type ErrorKind,
  type PoolEvent,
} from '../lib/index.js';

/** Drives one connection by hand: bytes in, bytes and events out. */
export function sansIo(now: number): string[] {
  const connection = new Connection(now, 'example.com', { depth: 4, stallTimeoutMs: 5_000 });
  const id: number = connection.submit(now, { method: 'GET', target: '/', headers: [['Accept', '*/*']] }, { whole: true });
  const transmit: Uint8Array | undefined = connection.pollTransmit(now);
  if (transmit) connection.handleWritten(now, transmit.length);
  connection.handleReceived(now + 1, new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const seen: string[] = [];
  for (let event: ConnectionEvent | undefined = connection.pollEvent(); event; event = connection.pollEvent()) {
    switch (event.type) {
      case 'complete':
        seen.push(`${event.id === id} ${event.response.status} ${event.response.body.length}`);
        break;
      case 'failed': {
        const kind: ErrorKind = event.kind;
        seen.push(`${kind} ${event.progress} ${event.retry}`);
        break;
      }
      case 'closed':
        seen.push(`${event.reason} ${event.pipelineBreak}`);
        break;
      default:
        seen.push(event.type);
    }
  }
  const deadline: number | undefined = connection.pollTimeout();
  if (deadline !== undefined) connection.handleTimeout(deadline);
  connection.free();
  return seen;
}

/** The pool's driver decisions are typed too. */
export function poolDecisions(now: number): Array<[string, number]> {
  const pool = new Pool({ connections: 2, maxTries: 3, connectTimeoutMs: 1_000, limits: { maxHeaders: 50 } });
  pool.submit(now, { scheme: 'http', host: 'example.com', port: 80 }, { target: '/' });
  const decisions: Array<[string, number]> = [];
  for (let event: PoolEvent | undefined = pool.pollEvent(); event; event = pool.pollEvent()) {
    if (event.type === 'connect') {
      decisions.push([`${event.origin.host}:${event.origin.port}`, event.conn]);
      pool.handleConnected(now, event.conn);
    } else if (event.type === 'failed') {
      decisions.push([event.kind, event.attempts]);
    }
  }
  const transmit = pool.pollTransmit(now);
  if (transmit) pool.handleWritten(now, transmit.conn, transmit.data.length);
  return decisions;
}

/** The Node driver. */
export async function driver(url: string): Promise<number> {
  const client = new Client({ depth: 8, connections: 2, timeoutMs: 10_000 });
  try {
    const response = await client.request({ url, headers: { 'User-Agent': 'pipelining' } });
    return response.status;
  } catch (error) {
    const kind: ErrorKind = (error as { kind: ErrorKind }).kind;
    throw new Error(kind);
  } finally {
    client.close();
  }
}

export async function many(urls: string[]): Promise<number> {
  const results = await fetchAll(urls, { depth: 8, connections: 2, maxTries: 3, timeoutMs: 5_000 });
  return results.filter((r) => r.error === null).length;
}
