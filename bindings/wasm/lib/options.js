// The one definition of the Client's options: each option's TypeScript
// type, what it means, and which option of the wasm `Pool` it becomes.
// `poolOptions` is made from this table; test/options.test.js checks that
// `ClientOptions` in lib/index.d.ts declares exactly these options with
// these types, and that every pool option named here is one the wasm
// `Pool` declares (src/types.rs) and reads (src/config.rs, src/proxy.rs,
// src/pool.rs).

/**
 * `{name, type, pool, doc}` per option, in the order of the declaration:
 * `type` is the TypeScript type, `pool` the `PoolOptions` key it sets
 * (`null`: the Node driver's own), `doc` its documentation comment.
 */
export const CLIENT_OPTIONS = Object.freeze([
  { name: 'depth', type: 'number', pool: 'depth', doc: 'Requests in flight per connection (default 8; at least 1).' },
  { name: 'connections', type: 'number', pool: 'connections', doc: 'Connections per origin (default 2; at least 1).' },
  { name: 'maxTries', type: 'number', pool: 'maxTries', doc: 'Tries per request (default 3; at least 1).' },
  { name: 'timeoutMs', type: 'number', pool: null, doc: 'Both the connect and the stall timeout, in milliseconds.' },
  { name: 'connectTimeoutMs', type: 'number | null', pool: 'connectTimeoutMs', doc: 'Connect timeout (default 10 s).' },
  {
    name: 'stallTimeoutMs',
    type: 'number | null',
    pool: 'stallTimeoutMs',
    doc: 'Stall timeout: requests outstanding and nothing moving (default 30 s).',
  },
  { name: 'idleTimeoutMs', type: 'number | null', pool: 'idleTimeoutMs', doc: 'Idle connections close after this (default 60 s).' },
  {
    name: 'requestTimeoutMs',
    type: 'number',
    pool: 'requestTimeoutMs',
    doc: 'A deadline per request, from `request()` (waiting for room included) to its complete response.',
  },
  {
    name: 'headersTimeoutMs',
    type: 'number | null',
    pool: 'headersTimeoutMs',
    doc: "A response head may take this long after its request was written (undici's `headersTimeout`; default none).",
  },
  {
    name: 'bodyTimeoutMs',
    type: 'number | null',
    pool: 'bodyTimeoutMs',
    doc: "A response body may go this long without a byte (undici's `bodyTimeout`; default none).",
  },
  {
    name: 'queueLimit',
    type: 'number',
    pool: 'queueLimit',
    doc: 'Requests queued per origin; beyond, `request()` waits for room, first come first served (default 1,024; at least 1).',
  },
  {
    name: 'originMemoryMs',
    type: 'number',
    pool: 'originMemoryMs',
    doc: 'How long an idle origin, and what it taught, is remembered (default 10 minutes).',
  },
  {
    name: 'maxOrigins',
    type: 'number',
    pool: 'maxOrigins',
    doc: 'Idle origins remembered at most; the least recently used are forgotten first (default 10,000).',
  },
  {
    name: 'bodyBufferBytes',
    type: 'number',
    pool: 'bodyBufferBytes',
    doc: 'Bytes of a streamed response held for a reader that is behind before its connection stops being read (default 256 KiB).',
  },
  { name: 'limits', type: 'LimitsOptions', pool: 'limits', doc: 'Response size limits.' },
  { name: 'assumePipelining', type: 'boolean', pool: 'capability', doc: 'Skip the one-request probe of an unknown server.' },
  {
    name: 'pipelineNonIdempotent',
    type: 'boolean',
    pool: 'nonIdempotent',
    doc: 'Pipeline non-idempotent requests instead of writing each alone.',
  },
  {
    name: 'proxy',
    type: 'string',
    pool: 'proxy',
    doc: 'An HTTP proxy for http:// and https:// URLs, `http://[user:password@]host[:port]`; overrides the environment\'s proxies.',
  },
  {
    name: 'noProxy',
    type: 'string',
    pool: 'noProxy',
    doc: 'Hosts reached directly: a `NO_PROXY` list replacing the environment\'s; `*` turns every proxy off.',
  },
  {
    name: 'proxyFromEnv',
    type: 'boolean | Record<string, string | undefined>',
    pool: 'proxyEnv',
    doc: '`true`: read `http_proxy`, `https_proxy`, `all_proxy`, `no_proxy` (and upper-case forms) from `process.env`; or the variables to read.',
  },
  {
    name: 'proxyPipelining',
    type: 'boolean',
    pool: 'proxyPipelining',
    doc: 'Trust the proxy to pipeline http:// requests (off: one at a time on each proxy connection).',
  },
  {
    name: 'tls',
    type: 'Record<string, unknown>',
    pool: null,
    doc: 'Options for `tls.connect` (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, `ALPNProtocols`, …).',
  },
]);

/** The wasm `Pool`'s options from a Client's (only those given). */
export function poolOptions(options) {
  const pool = {};
  for (const { name, pool: key } of CLIENT_OPTIONS) {
    const value = options[name];
    if (key === null || value === undefined) continue;
    switch (name) {
      case 'assumePipelining':
        if (value) pool.capability = 'pipelining';
        break;
      case 'pipelineNonIdempotent':
        if (value) pool.nonIdempotent = 'pipelined';
        break;
      case 'proxyFromEnv':
        if (value === true) pool.proxyEnv = process.env;
        else if (value) pool.proxyEnv = value;
        break;
      default:
        pool[key] = value;
    }
  }
  if (options.timeoutMs !== undefined) {
    pool.connectTimeoutMs ??= options.timeoutMs;
    pool.stallTimeoutMs ??= options.timeoutMs;
  }
  return pool;
}
