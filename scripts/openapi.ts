/**
 * Writes the OpenAPI document the API serves at /docs-json, built from the
 * routes' decorators without listening:  node dist/scripts/openapi.js [file]
 * (stdout without a file). The app is created on a temporary data folder
 * that is removed afterwards; nothing is started (no projections, no relay).
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp } from '../apps/api/src/main';
import { buildOpenApiDocument } from '../apps/api/src/operations/openapi';

export async function generateOpenApiDocument(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-openapi-'));
  try {
    const app = await createApp({
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: 'openapi-document-only-secret-of-32-characters',
      AUDIT_ORIGIN: 'openapi',
    });
    try {
      return JSON.stringify(buildOpenApiDocument(app), null, 2) + '\n';
    } finally {
      await app.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  generateOpenApiDocument().then(
    (text) => {
      const file = process.argv[2];
      if (file) fs.writeFileSync(file, text);
      else process.stdout.write(text);
    },
    (error: Error) => {
      process.stderr.write(`openapi: ${error.stack ?? error.message}\n`);
      process.exit(2);
    },
  );
}
