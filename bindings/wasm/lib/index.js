// pipelining for Node: the Client, the undici dispatcher and fetchAll over
// the WebAssembly core, and the core's sans-IO classes for other transports.
export { Client, splitUrl } from './client.js';
export { PipeliningDispatcher } from './dispatcher.js';
export { fetchAll } from './fetch-all.js';
export { PipeliningError } from './errors.js';
export { CLIENT_OPTIONS } from './options.js';
export { ITEM, LAYOUT, SUBMIT, unpack } from './packed.js';
export { ResponseBody } from './response-body.js';
export { Connection, Pool, errorKinds } from './wasm.js';
