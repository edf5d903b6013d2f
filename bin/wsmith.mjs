#!/usr/bin/env node
// The `wsmith` command. The CLI is TypeScript (bin/wsmith.ts, compiled to build/bin/wsmith.js);
// this launcher is committed as JavaScript so that npm can link the command before anything is
// built (npx in a fresh clone), and so that it says what to do when the build is missing.
import { existsSync } from 'node:fs';

const cli = new URL('../build/bin/wsmith.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('wsmith: not built yet. Run `npm install` (its "prepare" step builds) or `npm run build`.\n');
  process.exit(1);
}
await import(cli.href);
