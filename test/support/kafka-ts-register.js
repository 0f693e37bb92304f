/**
 * A require hook for child processes of the Kafka tests and for the relay
 * benchmark: transpiles TypeScript on load (typescript.transpileModule, no
 * type check; jest and tsc check the same files) and resolves the `@ipt/...`
 * path aliases of tsconfig.json to libs/<name>/src.
 *
 *   node -r ./test/support/kafka-ts-register.js some-script.ts
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, loaded by node before any TypeScript */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..', '..');
const ALIAS =
  /^@ipt\/(course|event-store|projections|analytics-feed|audit|auth|config|fhir|observability|telemetry|projections\/views)$/;

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = ALIAS.exec(request);
  // @ipt/<lib> → libs/<lib>/src; @ipt/<lib>/<folder> → libs/<lib>/src/<folder>
  const [lib, folder = ''] = m ? m[1].split('/') : [];
  const target = m ? path.join(ROOT, 'libs', lib, 'src', folder) : request;
  return resolve.call(this, target, parent, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    },
  });
  module._compile(outputText, filename);
};
