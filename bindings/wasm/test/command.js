// Running the two fetch commands: the Node one (bin/pipelining-fetch.mjs)
// and the Rust one (`pipelining fetch`, built with cargo on first use).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
export const NODE_COMMAND = join(here, '..', 'bin', 'pipelining-fetch.mjs');

/**
 * Runs a command; resolves to {code, stdout, stderr}. `env`: variables set
 * (or, `undefined`, removed) on top of this process's environment.
 */
export function runCommand(command, args, { stdin = '', env } = {}) {
  return new Promise((resolve, reject) => {
    const environment = { ...process.env };
    for (const [name, value] of Object.entries(env ?? {})) {
      if (value === undefined) delete environment[name];
      else environment[name] = value;
    }
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    // A command that exits before reading its input (a usage error) closes the pipe.
    child.stdin.on('error', () => {});
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

export function nodeFetch(args, options) {
  return runCommand(process.execPath, [NODE_COMMAND, ...args], options);
}

let rustBinary;

/**
 * A binary of the workspace: `cargo build -p PACKAGE --bin NAME` (a no-op
 * when `cargo test` built it already), in the target directory cargo
 * metadata reports (CARGO_TARGET_DIR respected).
 */
function cargoBinary(pkg, name) {
  execFileSync('cargo', ['build', '-p', pkg, '--bin', name], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const metadata = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
  const binary = join(metadata.target_directory, 'debug', name);
  if (!existsSync(binary)) throw new Error(`cargo build -p ${pkg} --bin ${name} did not produce ${binary}`);
  return binary;
}

/** The Rust `pipelining` binary. */
export function rustCommand() {
  rustBinary ??= cargoBinary('pipelining-cli', 'pipelining');
  return rustBinary;
}

/**
 * A fresh test CA, a server certificate it signed for `localhost` and
 * `127.0.0.1` and a client certificate it signed, made by the workspace's
 * own generator (the `test_pki` binary of pipelining-tests, rcgen):
 * `{dir, caPath, ca, cert, key, clientCert, clientKey}` (PEM texts; `cert`
 * and `clientCert` are chains, `caPath` the CA's file).
 */
export function testPki() {
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-pki-'));
  execFileSync(cargoBinary('pipelining-tests', 'test_pki'), [dir]);
  const read = (name) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    ca: read('ca.pem'),
    cert: read('server.pem'),
    key: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
  };
}

export function rustFetch(args, options) {
  return runCommand(rustCommand(), ['fetch', ...args], options);
}
