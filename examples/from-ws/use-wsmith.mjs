// Run a `ws` program on wsmith without editing it:
//   node --import ./use-wsmith.mjs server.mjs
// Every `import ... from 'ws'` then loads wsmith instead (ES modules: a require('ws') is not
// redirected). wsmith must be installed where the program can import it.
import { register } from 'node:module';

const hooks = 'export async function resolve(specifier, context, next) { return next(specifier === "ws" ? "wsmith" : specifier, context); }';
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
