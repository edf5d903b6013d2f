#!/usr/bin/env node
// The `wsmith-spec` command (spec/cli.ts, compiled to build/spec/cli.js): a launcher committed as
// JavaScript, like bin/wsmith.mjs, so that the command exists before the first build.
import { existsSync } from 'node:fs';

const cli = new URL('../build/spec/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('wsmith-spec: not built yet. Run `npm install` (its "prepare" step builds) or `npm run build`.\n');
  process.exit(1);
}
await import(cli.href);
