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
// The @ipt/... aliases are tsconfig.json's `paths`, the list tsc builds with: one list, so a new lib
// cannot be missing here (as @ipt/telemetry once was, which failed the relay child processes).
const ALIASES = new Map(
  Object.entries(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions.paths,
  )
    .filter(([alias]) => alias.startsWith('@ipt/'))
    .map(([alias, [target]]) => [alias, path.join(ROOT, target)]),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  return resolve.call(this, ALIASES.get(request) ?? request, parent, ...rest);
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
