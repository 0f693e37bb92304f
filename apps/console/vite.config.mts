/**
 * The console is built into dist/console, next to the compiled API, which
 * serves it at /console (apps/api/src/console). Its own tsconfig keeps it out
 * of the server's type check.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Source maps would publish the sources; the console is small enough to read without them.
    sourcemap: false,
  },
  resolve: {
    // The domain's instrument definitions (severity bands, thresholds): one source of truth.
    alias: {
      '@ipt/instruments': fileURLToPath(
        new URL('../../libs/course/src/instruments.ts', import.meta.url),
      ),
      // The typed client generated from the OpenAPI document (libs/client).
      '@ipt/client': fileURLToPath(new URL('../../libs/client/src/index.ts', import.meta.url)),
    },
  },
});
