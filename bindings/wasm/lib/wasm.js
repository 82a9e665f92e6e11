// The WebAssembly core for Node: pkg/node, built by `npm run build`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let wasm;
try {
  wasm = require('../pkg/node/pipelining_wasm.js');
} catch (error) {
  if (error?.code === 'MODULE_NOT_FOUND') {
    throw new Error(
      'pipelining: the WebAssembly module is not built (bindings/wasm/pkg/node is missing): run `npm run build` in bindings/wasm',
    );
  }
  throw error;
}

/** The sans-IO classes and helpers of the core. */
export const { Connection, Pool, errorKinds } = wasm;
