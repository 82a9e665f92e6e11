// Running the two fetch commands: the Node one (bin/pipelining-fetch.mjs)
// and the Rust one (`pipelining fetch`, built with cargo on first use).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
export const NODE_COMMAND = join(here, '..', 'bin', 'pipelining-fetch.mjs');

/** Runs a command; resolves to {code, stdout, stderr}. */
export function runCommand(command, args, { stdin = '' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
 * The Rust `pipelining` binary: `cargo build -p pipelining-cli` (a no-op
 * when `cargo test` built it already), in the target directory cargo
 * metadata reports (CARGO_TARGET_DIR respected).
 */
export function rustCommand() {
  if (rustBinary) return rustBinary;
  execFileSync('cargo', ['build', '-p', 'pipelining-cli'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const metadata = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
  const binary = join(metadata.target_directory, 'debug', 'pipelining');
  if (!existsSync(binary)) throw new Error(`cargo build -p pipelining-cli did not produce ${binary}`);
  rustBinary = binary;
  return binary;
}

export function rustFetch(args, options) {
  return runCommand(rustCommand(), ['fetch', ...args], options);
}
