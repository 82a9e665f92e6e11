// `pipelining-fetch`: the Node twin of `pipelining fetch` (docs/DESIGN.md C1, C4).
//
// Same flags, same request list (`URL` or `METHOD URL` lines, blank lines
// and `#` comments ignored), same JSON lines with the same keys in the same
// order, same `error_kind` names and exit codes (0: every request got a
// response; 1: any failed; 2: usage, including a malformed input line, in
// which case nothing is sent).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from './client.js';

export const USAGE = `Usage: pipelining-fetch [URL...] [--input FILE|-] [--depth N] [--connections N]
                        [--max-tries N] [--timeout SECS] [--json] [-o DIR] [--fail]

Fetch URLs over pipelined HTTP/1.1 connections; one line (or JSON object)
per request, in request order.

  --input FILE|-     one request per line: URL or METHOD URL (- reads stdin)
  --depth N          requests in flight per connection (default 8)
  --connections N    connections per origin (default 2)
  --max-tries N      tries per request (default 3)
  --timeout SECS     connect and stall timeout in seconds (decimals allowed)
  --json             one compact JSON object per request on stdout
  -o DIR             write each body to DIR/<n>.body (n 1-based, 6 digits)
  --fail             count a status of 400 or more as a failure
  -h, --help         print this help
`;

/** A usage error: exit 2, nothing sent. */
export class UsageError extends Error {}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function integer(flag, text, max) {
  if (!/^\+?\d+$/.test(text)) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: not a whole number`);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: must be in 1..=${max}`);
  return n;
}

function seconds(flag, text) {
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(Number.isFinite(n) && n > 0 && n < 1e9)) {
    throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: not a positive number of seconds`);
  }
  return n;
}

/** The command line as options; throws {@link UsageError}. */
export function parseArgs(argv) {
  const options = {
    urls: [],
    input: undefined,
    depth: 8,
    connections: 2,
    maxTries: 3,
    timeout: undefined,
    json: false,
    output: undefined,
    fail: false,
    help: false,
  };
  const seen = new Set();
  const once = (flag) => {
    if (seen.has(flag)) throw new UsageError(`${flag} cannot be used more than once`);
    seen.add(flag);
  };
  const valued = new Map([
    ['--input', (v) => (options.input = v)],
    ['--depth', (v, f) => (options.depth = integer(f, v, 4096))],
    ['--connections', (v, f) => (options.connections = integer(f, v, 1024))],
    ['--max-tries', (v, f) => (options.maxTries = integer(f, v, 100))],
    ['--timeout', (v, f) => (options.timeout = seconds(f, v))],
    ['-o', (v) => (options.output = v)],
  ]);
  const flags = new Map([
    ['--json', () => (options.json = true)],
    ['--fail', () => (options.fail = true)],
    ['--help', () => (options.help = true)],
    ['-h', () => (options.help = true)],
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      options.urls.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      options.urls.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (valued.has(name)) {
      let value;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (name === '-o' || i + 1 < argv.length) value = argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      once(name);
      valued.get(name)(value, name);
    } else if (name.startsWith('-o') && name.length > 2 && !name.startsWith('--')) {
      once('-o');
      options.output = name.slice(2);
    } else if (flags.has(name) && eq < 0) {
      once(name);
      flags.get(name)();
    } else {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

/** Checks a URL the way `pipelining fetch` does: absolute http(s) with a host. */
function checkUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return `invalid URL ${JSON.stringify(url)}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `invalid URL ${JSON.stringify(url)}: only http:// and https:// URLs can be fetched`;
  }
  if (!parsed.hostname) return `invalid URL ${JSON.stringify(url)}: no host`;
  return null;
}

/** Positional URLs, then `--input` lines; throws {@link UsageError} naming the line. */
export function collect(urls, input) {
  const specs = [];
  for (const url of urls) {
    const bad = checkUrl(url);
    if (bad) throw new UsageError(bad);
    specs.push({ method: 'GET', url });
  }
  const lines = input === undefined ? [] : input.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const fail = (reason) => {
      throw new UsageError(`--input line ${index + 1}: ${reason}`);
    };
    let method = 'GET';
    let url;
    if (fields.length === 1) [url] = fields;
    else if (fields.length === 2) {
      [method, url] = fields;
      if (!TOKEN.test(method)) fail(`invalid method ${JSON.stringify(method)}`);
    } else fail(`expected \`URL\` or \`METHOD URL\`, got ${fields.length} fields`);
    const bad = checkUrl(url);
    if (bad) fail(bad);
    specs.push({ method, url });
  });
  return specs;
}

/** The C1 JSON line: keys in this exact order. */
export function jsonLine(spec, outcome) {
  return JSON.stringify({
    url: spec.url,
    method: spec.method,
    status: outcome.status,
    body_bytes: outcome.bodyBytes,
    body_sha256: outcome.bodySha256,
    attempts: outcome.attempts,
    error: outcome.error,
    error_kind: outcome.errorKind,
  });
}

function humanLine(spec, outcome) {
  if (outcome.errorKind === null) {
    const s = outcome.attempts === 1 ? '' : 's';
    return `${outcome.status} ${spec.method} ${spec.url} (${outcome.bodyBytes} bytes, ${outcome.attempts} attempt${s})`;
  }
  return `ERROR ${outcome.errorKind} ${spec.method} ${spec.url}: ${outcome.error}`;
}

function failed(kind, error, attempts) {
  return { status: null, bodyBytes: null, bodySha256: null, attempts, error, errorKind: kind };
}

async function outcomeOf(promise, path, fail) {
  let response;
  try {
    response = await promise;
  } catch (error) {
    return failed(error?.kind ?? 'connection_lost', error?.message ?? String(error), error?.attempts ?? 0);
  }
  if (fail && response.status >= 400) return failed('http_status', `HTTP status ${response.status}`, response.attempts);
  if (path) {
    try {
      writeFileSync(path, response.body);
    } catch (error) {
      process.stderr.write(`pipelining-fetch: cannot write ${path}: ${error.message}\n`);
    }
  }
  return {
    status: response.status,
    bodyBytes: response.body.length,
    bodySha256: createHash('sha256').update(response.body).digest('hex'),
    attempts: response.attempts,
    error: null,
    errorKind: null,
  };
}

/**
 * Runs the command; resolves to the exit code. `io` has `stdout` and
 * `stderr` (writable streams) and `stdin` (a function returning the text of
 * standard input).
 */
export async function main(argv, io = {}) {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const readStdin = io.stdin ?? (() => readFileSync(0, 'utf8'));
  let options;
  let specs;
  try {
    options = parseArgs(argv);
    if (options.help) {
      stdout.write(USAGE);
      return 0;
    }
    let input;
    if (options.input === '-') {
      try {
        input = readStdin();
      } catch (error) {
        throw new UsageError(`cannot read stdin: ${error.message}`);
      }
    } else if (options.input !== undefined) {
      try {
        input = readFileSync(options.input, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${options.input}: ${error.message}`);
      }
    }
    // Every request is validated before any is sent.
    specs = collect(options.urls, input);
    if (specs.length === 0) throw new UsageError('no requests: give URLs or --input');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`pipelining-fetch: ${error.message}\n${error.message.startsWith('--input') ? '' : '\n' + USAGE}`);
    return 2;
  }
  if (options.output !== undefined) mkdirSync(options.output, { recursive: true });
  const client = new Client({
    depth: options.depth,
    connections: options.connections,
    maxTries: options.maxTries,
    queueLimit: 1024,
    timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
  });
  // Every request is queued now, so they are written in this order.
  const outcomes = specs.map((spec, index) => {
    const path = options.output === undefined ? undefined : join(options.output, `${String(index + 1).padStart(6, '0')}.body`);
    return outcomeOf(client.request({ method: spec.method, url: spec.url }), path, options.fail);
  });
  let allOk = true;
  try {
    for (const [index, spec] of specs.entries()) {
      const outcome = await outcomes[index];
      allOk &&= outcome.errorKind === null;
      stdout.write((options.json ? jsonLine(spec, outcome) : humanLine(spec, outcome)) + '\n');
    }
  } finally {
    client.close();
  }
  return allOk ? 0 : 1;
}
