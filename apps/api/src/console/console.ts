/**
 * The web console (apps/console), built by `npm run build` into dist/console
 * and served here at /console as static files: it has no route of its own
 * and calls only the documented API with the user's bearer token.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** dist/apps/api/src/console → dist/console */
export const CONSOLE_ROOT = path.resolve(__dirname, '../../../../console');

// The console's own scripts and the API only; no framing; no referrer that could carry a course id.
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Serves the built console at /console/ (/console redirects there); without a build the API runs on and says so once. */
export async function serveConsole(
  app: NestFastifyApplication,
  root: string = CONSOLE_ROOT,
): Promise<boolean> {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    new Logger('Console').warn(`no console build in ${root}: /console is not served`);
    return false;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/console',
    // Swagger UI registers @fastify/static too: only one may decorate the reply.
    decorateReply: false,
    redirect: true,
    setHeaders(reply, filePath) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
      // Vite names assets by their content hash: cache them for good, but always revalidate the page.
      void reply.header(
        'cache-control',
        filePath.includes(`${path.sep}assets${path.sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      );
    },
  });
  return true;
}
