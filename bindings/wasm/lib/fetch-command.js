// `pipelining-fetch`: the Node twin of `pipelining fetch` (docs/DESIGN.md C1, C4).
//
// Same flags, same request list (`URL` or `METHOD URL` lines, blank lines
// and `#` comments ignored), same JSON lines with the same keys in the same
// order, same `error_kind` names and exit codes (0: every request got a
// response; 1: any failed; 2: usage, including a malformed input line, a
// header that cannot be sent or a file that cannot be read, in which case
// nothing is sent).
import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from './client.js';
import { Connection } from './wasm.js';

export const USAGE = `Usage: pipelining-fetch [URL...] [--input FILE|-] [--depth N] [--connections N]
                        [--max-tries N] [--timeout SECS] [--json] [-o DIR] [--fail]
                        [-H 'NAME: VALUE']... [-X METHOD] [-d DATA|@FILE|@-]
                        [-u USER:PASSWORD] [--headers] [--cacert FILE]
                        [--proxy URL] [--noproxy LIST]

Fetch URLs over pipelined HTTP/1.1 connections; one line (or JSON object)
per request, in request order.

  --input FILE|-         one request per line: URL or METHOD URL (- reads stdin)
  --depth N              requests in flight per connection (default 8)
  --connections N        connections per origin (default 2)
  --max-tries N          tries per request (default 3)
  --timeout SECS         connect and stall timeout in seconds (decimals allowed)
  --json                 one compact JSON object per request on stdout
  -o DIR                 write each body to DIR/<n>.body (n 1-based, 6 digits);
                         a body that cannot be written fails (error_kind output)
  --fail                 count a status of 400 or more as a failure
  -H, --header 'N: V'    add this header field to every request (repeatable)
  -X, --request METHOD   the method of every request whose line names none
                         (default GET, or POST with -d)
  -d, --data DATA        every request's body, sent exactly (@FILE reads a file,
                         @- stdin); with the form Content-Type unless -H gives one
  -u, --user USER:PW     send Authorization: Basic with these credentials
  --headers              add each response's header fields, in order, to its
                         JSON object ("headers": [[name, value], ...], last)
                         or under its line
  --cacert FILE          trust the CA certificates of this PEM (or DER) file
                         instead of Node's built-in roots
  --proxy URL            send requests through this HTTP proxy,
                         http://[USER:PASSWORD@]HOST[:PORT] (https:// URLs
                         through CONNECT); overrides http_proxy, https_proxy
                         and all_proxy
  --noproxy LIST         reach these hosts directly: a comma-separated
                         NO_PROXY list (names match their subdomains too; IP
                         addresses, CIDR blocks, :PORT), or '*' to use no
                         proxy at all; overrides no_proxy
  -h, --help             print this help

The proxy environment variables (http_proxy, https_proxy, all_proxy,
no_proxy and their upper-case forms) are honoured as by \`pipelining fetch\`.
`;

/** A usage error: exit 2, nothing sent. */
export class UsageError extends Error {}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a header value may not hold: control characters other than tab (RFC 9110 §5.5). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** The form type curl's `-d` declares unless a `-H` gives another. */
const FORM = 'application/x-www-form-urlencoded';

/**
 * `-H 'Name: value'` as a `[name, value]` pair: the name a token (lower
 * case, as the Rust command sends it), the value without surrounding
 * spaces and tabs, as one character per byte of its UTF-8.
 */
export function parseHeader(field) {
  const colon = field.indexOf(':');
  if (colon < 0) throw new UsageError(`invalid value ${JSON.stringify(field)} for -H: expected \`Name: value\``);
  const name = field.slice(0, colon);
  if (!TOKEN.test(name)) {
    throw new UsageError(`invalid value ${JSON.stringify(field)} for -H: ${JSON.stringify(name)} is not a header name`);
  }
  const value = field.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  if (CONTROL.test(value)) {
    throw new UsageError(`invalid value ${JSON.stringify(field)} for -H: the value of ${name} has a control character`);
  }
  return [name.toLowerCase(), Buffer.from(value, 'utf8').toString('latin1')];
}

/** `-u USER:PASSWORD` as an `Authorization` value: the text as given, in base64. */
export function basicCredentials(credentials) {
  if (!credentials.includes(':')) {
    throw new UsageError(`invalid value for -u: expected USER:PASSWORD (a colon between the user and the password)`);
  }
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/** `-d`: `{file}` for @FILE, `{stdin: true}` for @-, `{text}` otherwise. */
function parseData(data) {
  if (!data.startsWith('@')) return { text: data };
  if (data === '@-') return { stdin: true };
  if (data === '@') throw new UsageError('invalid value "@" for -d: @ needs a file name (@FILE, or @- for stdin)');
  return { file: data.slice(1) };
}

/**
 * What every request carries: `-H`'s fields in order, then Authorization
 * from `-u` and the form Content-Type of `-d` where no `-H` named them;
 * checked by the core as the client will check each request (a field the
 * codec sets itself, a Content-Length other than the body's, two Host
 * fields are usage errors).
 */
export function requestTemplate({ headers = [], method, body, user }) {
  const fields = [...headers];
  const named = (name) => fields.some(([n]) => n === name);
  if (user !== undefined && !named('authorization')) fields.push(['authorization', basicCredentials(user)]);
  if (body !== undefined && !named('content-type')) fields.push(['content-type', FORM]);
  const probe = new Connection(0, 'check');
  try {
    probe.submit(0, { method: 'GET', target: '/', headers: fields, body: body ?? null });
  } catch (error) {
    throw new UsageError(`cannot send these headers: ${error.message}`);
  } finally {
    probe.free();
  }
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), headers: fields, body };
}

/**
 * `--cacert FILE`'s certificates as PEM texts for Node's `ca` (which
 * replaces the built-in roots, as the Rust command's does): PEM with at
 * least one well-formed CERTIFICATE, or one DER certificate.
 */
export function readCacert(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read --cacert ${path}: ${error.message}`);
  }
  const text = bytes.toString('latin1');
  const certificate = (input) => {
    try {
      return new X509Certificate(input).toString();
    } catch (error) {
      return error;
    }
  };
  if (!text.includes('-----BEGIN ')) {
    const pem = certificate(bytes);
    if (pem instanceof Error) {
      throw new UsageError(`--cacert ${path}: root certificate: neither PEM (no -----BEGIN line) nor valid DER (${pem.message})`);
    }
    return [pem];
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError(`--cacert ${path}: root certificate: no CERTIFICATE in the PEM`);
  return blocks.map((block) => {
    const pem = certificate(block);
    if (pem instanceof Error) throw new UsageError(`--cacert ${path}: root certificate: bad PEM: ${pem.message}`);
    return pem;
  });
}

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
    headers: [],
    method: undefined,
    data: undefined,
    user: undefined,
    responseHeaders: false,
    cacert: undefined,
    proxy: undefined,
    noProxy: undefined,
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
    ['--header', (v) => options.headers.push(parseHeader(v))],
    ['--request', (v) => {
      if (!TOKEN.test(v)) throw new UsageError(`invalid value ${JSON.stringify(v)} for -X: not a method`);
      options.method = v;
    }],
    ['--data', (v) => (options.data = parseData(v))],
    ['--user', (v) => {
      basicCredentials(v);
      options.user = v;
    }],
    ['--cacert', (v) => (options.cacert = v)],
    ['--proxy', (v) => (options.proxy = v)],
    ['--noproxy', (v) => (options.noProxy = v)],
  ]);
  // Short forms, as clap spells them; a value may follow the letter (-oDIR).
  const short = new Map([
    ['-o', '-o'],
    ['-H', '--header'],
    ['-X', '--request'],
    ['-d', '--data'],
    ['-u', '--user'],
  ]);
  const repeatable = new Set(['--header']);
  const flags = new Map([
    ['--json', () => (options.json = true)],
    ['--fail', () => (options.fail = true)],
    ['--headers', () => (options.responseHeaders = true)],
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
    const given = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = short.get(given) ?? given;
    const attached = !arg.startsWith('--') && arg.length > 2 ? short.get(arg.slice(0, 2)) : undefined;
    if (valued.has(name)) {
      let value;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined) throw new UsageError(`${given} needs a value`);
      if (!repeatable.has(name)) once(name);
      valued.get(name)(value, name);
    } else if (attached !== undefined) {
      if (!repeatable.has(attached)) once(attached);
      valued.get(attached)(arg.slice(2), attached);
    } else if (flags.has(name) && eq < 0) {
      once(name);
      flags.get(name)();
    } else {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

/**
 * The client of a run. Proxies as the Rust command takes them
 * (bindings/cli/src/proxy_flags.rs): `--noproxy '*'` turns them off,
 * `--proxy` replaces the environment's proxies (its `no_proxy` still
 * applies), `--noproxy` replaces the exceptions; the pool decides, by the
 * core's rules. A bad proxy URL is a usage error.
 */
function makeClient(options, ca, env) {
  try {
    return new Client({
      depth: options.depth,
      connections: options.connections,
      maxTries: options.maxTries,
      queueLimit: 1024,
      timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
      tls: ca === undefined ? undefined : { ca },
      proxy: options.proxy,
      noProxy: options.noProxy,
      proxyFromEnv: env,
    });
  } catch (error) {
    const message = error.message.startsWith('proxy: ') ? `--proxy: ${error.message.slice(7)}` : error.message;
    throw new UsageError(message);
  }
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

/**
 * Positional URLs, then `--input` lines; a line's own method wins over
 * `method`, which every other request gets. Throws {@link UsageError}
 * naming the line.
 */
export function collect(urls, input, method = 'GET') {
  const specs = [];
  for (const url of urls) {
    const bad = checkUrl(url);
    if (bad) throw new UsageError(bad);
    specs.push({ method, url });
  }
  const lines = input === undefined ? [] : input.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const fail = (reason) => {
      throw new UsageError(`--input line ${index + 1}: ${reason}`);
    };
    let own = method;
    let url;
    if (fields.length === 1) [url] = fields;
    else if (fields.length === 2) {
      [own, url] = fields;
      if (!TOKEN.test(own)) fail(`invalid method ${JSON.stringify(own)}`);
    } else fail(`expected \`URL\` or \`METHOD URL\`, got ${fields.length} fields`);
    const bad = checkUrl(url);
    if (bad) fail(bad);
    specs.push({ method: own, url });
  });
  return specs;
}

/** The C1 JSON line: keys in this exact order; with `--headers`, a last key `headers`. */
export function jsonLine(spec, outcome, withHeaders = false) {
  const line = {
    url: spec.url,
    method: spec.method,
    status: outcome.status,
    body_bytes: outcome.bodyBytes,
    body_sha256: outcome.bodySha256,
    attempts: outcome.attempts,
    error: outcome.error,
    error_kind: outcome.errorKind,
  };
  if (withHeaders) line.headers = outcome.headers ?? null;
  return JSON.stringify(line);
}

function humanLine(spec, outcome) {
  let line;
  if (outcome.errorKind === null) {
    const s = outcome.attempts === 1 ? '' : 's';
    line = `${outcome.status} ${spec.method} ${spec.url} (${outcome.bodyBytes} bytes, ${outcome.attempts} attempt${s})`;
  } else {
    line = `ERROR ${outcome.errorKind} ${spec.method} ${spec.url}: ${outcome.error}`;
  }
  for (const [name, value] of outcome.headers ?? []) line += `\n  ${name}: ${value}`;
  return line;
}

function failed(kind, error, attempts) {
  return { status: null, bodyBytes: null, bodySha256: null, attempts, error, errorKind: kind, headers: null };
}

/**
 * One request's outcome. `destination` is `{path}` (write the body there),
 * `{unusable}` (the -o directory could not be made: why) or undefined.
 */
async function outcomeOf(promise, destination, fail, withHeaders) {
  let response;
  try {
    response = await promise;
  } catch (error) {
    return failed(error?.kind ?? 'connection_lost', error?.message ?? String(error), error?.attempts ?? 0);
  }
  if (fail && response.status >= 400) return failed('http_status', `HTTP status ${response.status}`, response.attempts);
  if (destination?.unusable !== undefined) return failed('output', destination.unusable, response.attempts);
  if (destination?.path !== undefined) {
    try {
      writeFileSync(destination.path, response.body);
    } catch (error) {
      return failed('output', `cannot write ${destination.path}: ${error.message}`, response.attempts);
    }
  }
  return {
    status: response.status,
    bodyBytes: response.body.length,
    bodySha256: createHash('sha256').update(response.body).digest('hex'),
    attempts: response.attempts,
    error: null,
    errorKind: null,
    // Names in lower case; values one character per byte, as received.
    headers: withHeaders ? response.headers.map(([name, value]) => [name.toLowerCase(), value]) : null,
  };
}

/**
 * Runs the command; resolves to the exit code. `io` has `stdout` and
 * `stderr` (writable streams), `stdin` (a function returning standard
 * input, as text or bytes) and `env` (the environment variables the proxy
 * settings are read from; `process.env` by default).
 */
export async function main(argv, io = {}) {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const readStdin = io.stdin ?? (() => readFileSync(0));
  let options;
  let specs;
  let template;
  let ca;
  let client;
  const env = io.env ?? process.env;
  try {
    options = parseArgs(argv);
    if (options.help) {
      stdout.write(USAGE);
      return 0;
    }
    if (options.data?.stdin && options.input === '-') {
      throw new UsageError('-d @- and --input - cannot both read stdin');
    }
    let input;
    if (options.input === '-') {
      try {
        input = Buffer.from(readStdin()).toString('utf8');
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
    // Every file is read, and every request validated, before any is sent.
    let body;
    const data = options.data;
    if (data?.text !== undefined) body = Buffer.from(data.text, 'utf8');
    else if (data?.stdin) {
      try {
        body = Buffer.from(readStdin());
      } catch (error) {
        throw new UsageError(`cannot read -d @-: ${error.message}`);
      }
    } else if (data?.file !== undefined) {
      try {
        body = readFileSync(data.file);
      } catch (error) {
        throw new UsageError(`cannot read -d @${data.file}: ${error.message}`);
      }
    }
    template = requestTemplate({ headers: options.headers, method: options.method, body, user: options.user });
    specs = collect(options.urls, input, template.method);
    if (specs.length === 0) throw new UsageError('no requests: give URLs or --input');
    if (options.cacert !== undefined) ca = readCacert(options.cacert);
    client = makeClient(options, ca, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`pipelining-fetch: ${error.message}\n${error.message.startsWith('--input') ? '' : '\n' + USAGE}`);
    return 2;
  }
  // A directory that cannot be made fails every request's write (with
  // `output`), as a file that cannot be written fails its own.
  let unusable;
  if (options.output !== undefined) {
    try {
      mkdirSync(options.output, { recursive: true });
    } catch (error) {
      unusable = `cannot create the -o directory ${options.output}: ${error.message}`;
    }
  }
  const headers = template.headers.length > 0 ? template.headers : undefined;
  // Every request is queued now, so they are written in this order.
  const outcomes = specs.map((spec, index) => {
    let destination;
    if (unusable !== undefined) destination = { unusable };
    else if (options.output !== undefined) destination = { path: join(options.output, `${String(index + 1).padStart(6, '0')}.body`) };
    const request = client.request({ method: spec.method, url: spec.url, headers, body: template.body, whole: true });
    return outcomeOf(request, destination, options.fail, options.responseHeaders);
  });
  let allOk = true;
  try {
    for (const [index, spec] of specs.entries()) {
      const outcome = await outcomes[index];
      allOk &&= outcome.errorKind === null;
      stdout.write((options.json ? jsonLine(spec, outcome, options.responseHeaders) : humanLine(spec, outcome)) + '\n');
    }
  } finally {
    client.close();
  }
  return allOk ? 0 : 1;
}
