// Type-checked by `npm run typecheck` (tsc --noEmit): the generated
// declarations of the core and the hand-written ones of the Node driver.
import {
  Client,
  Connection,
  Pool,
  fetchAll,
  ITEM,
  PipeliningDispatcher,
  SUBMIT,
  type ClientResponse,
  type StreamedResponse,
  unpack,
  type ConnectionEvent,
  type ErrorKind,
  type PoolInstruction,
  type PoolNotice,
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

/** The pool's instructions and notices are typed too; outcomes come packed (lib/packed.js reads them). */
export function poolDecisions(now: number): Array<[string, number]> {
  const pool = new Pool({ connections: 2, maxTries: 3, connectTimeoutMs: 1_000, queueLimit: 16, limits: { maxHeaders: 50 } });
  const id: number = pool.submit(now, 'http', 'example.com', 80, 'GET', '/', ['Accept', '*/*'], null, SUBMIT.byMethod | SUBMIT.whole);
  const decisions: Array<[string, number]> = [['request', id]];
  for (let instruction: PoolInstruction | undefined = pool.pollInstruction(); instruction; instruction = pool.pollInstruction()) {
    if (instruction.type === 'connect') {
      decisions.push([`${instruction.origin.host}:${instruction.origin.port}`, instruction.conn]);
      pool.handleConnected(now, instruction.conn);
    }
  }
  const data: Uint8Array | undefined = pool.pollTransmit(now);
  if (data) pool.handleWritten(now, pool.transmitConn, data.length);
  for (let notice: PoolNotice | undefined = pool.pollNotice(); notice !== undefined; notice = pool.pollNotice()) {
    if (typeof notice === 'number') {
      const packed: Uint8Array | undefined = pool.take(now, notice);
      if (packed) {
        const taken = unpack(packed);
        decisions.push(taken.item === ITEM.failed ? [taken.kind, taken.attempts] : ['status', taken.status]);
      }
    } else if (notice.type === 'room') {
      decisions.push(['room', notice.waiter]);
    }
  }
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
    await client.close();
  }
}

/** Streaming both ways, whole responses, 1xx, per-request timeouts, connection events. */
export async function streaming(url: string): Promise<string> {
  const client = new Client({ headersTimeoutMs: 5_000, proxyFromEnv: true, tls: { rejectUnauthorized: true } });
  client.on('connect', (origin: URL, _clients, info) => void `${origin.href} ${info.conn}`);
  try {
    async function* parts(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('a,');
      yield new TextEncoder().encode('b');
    }
    const hints: number[] = [];
    const streamed: StreamedResponse = await client.request({
      url,
      method: 'PUT',
      body: parts(),
      bodyTimeoutMs: null,
      onInformational: (info) => hints.push(info.status),
    });
    const text: string = await streamed.body.text();
    const whole: ClientResponse = await client.request({ url, whole: true });
    const web: ReadableStream<Uint8Array> = (await client.request({ url })).body.stream();
    await web.cancel();
    return `${hints.length} ${text} ${whole.body.length}`;
  } finally {
    await client.close();
  }
}

/** The undici dispatcher: `fetch(url, { dispatcher })` (undici's or Node's, after setGlobalDispatcher). */
export function dispatcher(): PipeliningDispatcher {
  const dispatcher = new PipeliningDispatcher({ depth: 16, connections: 2 });
  dispatcher.dispatch(
    { origin: 'http://localhost:8080', path: '/', method: 'GET', headersTimeout: 1_000 },
    { onResponseStart: (controller, status) => void (status === 200 || controller.abort()), onResponseError: () => {} },
  );
  return dispatcher;
}

export async function many(urls: string[]): Promise<number> {
  const results = await fetchAll(urls, { depth: 8, connections: 2, maxTries: 3, timeoutMs: 5_000 });
  return results.filter((r) => r.error === null).length;
}
