// pipelining for Node: the Client and fetchAll over the WebAssembly core,
// and the core's sans-IO classes for other transports.
export { Client, splitUrl } from './client.js';
export { fetchAll } from './fetch-all.js';
export { PipeliningError } from './errors.js';
export { ITEM, LAYOUT, unpack } from './packed.js';
export { Connection, Pool, errorKinds } from './wasm.js';
