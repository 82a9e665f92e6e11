import { fetch } from 'undici';
import { PipeliningDispatcher } from '../lib/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
const url = 'http://127.0.0.1:18777', read = 32*1048576, rate = 8*1048576;
const mode = process.argv[2];
const { Agent } = await import('undici');
const dispatcher = mode === 'undici' ? new Agent() : new PipeliningDispatcher();
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await sleep(50); } };
import { createRequire } from 'node:module';
const wasmMem = () => createRequire(import.meta.url)('../pkg/node/pipelining_wasm.js').__memory() / 1048576;
const mem = (tag) => { const m = process.memoryUsage(); console.log(tag, Object.fromEntries(Object.entries(m).map(([k,v]) => [k, (v/1048576).toFixed(1)]))); };
await (await fetch(url + '/small', { dispatcher })).arrayBuffer();
await settle(); mem('before');
let got = 0; const start = performance.now();
if (mode === 'client') {
  const { Client } = await import('../lib/index.js');
  const c = new Client();
  const r = await c.request({ url: url + '/huge' });
  for await (const chunk of r.body) { got += chunk.length; const due = (got / rate) * 1000 - (performance.now() - start); if (due > 0) await sleep(due); if (got >= read) break; }
} else {
const response = await fetch(url + '/huge', { dispatcher });
const reader = response.body.getReader();
while (got < read) {
  const { value, done } = await reader.read();
  if (done) break;
  got += value.length;
  const due = (got / rate) * 1000 - (performance.now() - start);
  if (due > 0) await sleep(due);
}
await reader.cancel();
}
mem('read');
await settle(); mem('after');
await dispatcher.close();
