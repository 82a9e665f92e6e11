#!/usr/bin/env node
// pipelining-fetch [URL...] [--input FILE|-] [--depth N] [--connections N]
//                  [--max-tries N] [--timeout SECS] [--json] [-o DIR] [--fail]
//                  [-H 'NAME: VALUE']... [-X METHOD] [-d DATA|@FILE|@-]
//                  [-u USER:PASSWORD] [--headers] [--cacert FILE]
//                  [--proxy URL] [--noproxy LIST]
//
// The Node command of docs/DESIGN.md C4: `pipelining fetch` over the WebAssembly
// core, with the same JSON lines, error kinds and exit codes.
import { main } from '../lib/fetch-command.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`pipelining-fetch: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
