// Serves the page's few files from a fixed table: no path from the URL ever reaches the file system.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/render.js': { file: 'render.js', type: 'text/javascript; charset=utf-8' },
  '/session.js': { file: 'session.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers that ignore the page's <link rel="icon"> ask for this one: the same picture, not a 404.
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

// The page loads nothing from elsewhere and runs no inline script, so even an injection could not run.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * examples/chat/public, found from this module: it runs from examples/chat/ under vitest and from
 * build/examples/chat/ once compiled, while the page's files stay in the source tree.
 */
export function findPublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'public'), join(here, '..', '..', '..', 'examples', 'chat', 'public')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`chat page not found in ${candidates.join(' or ')}`);
  return found;
}

/** Answers a request for one of the page's files; false when the path is not one of them. */
export async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const entry = FILES[path];
  if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const body = await readFile(join(dir, entry.file));
  res.writeHead(200, { 'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
