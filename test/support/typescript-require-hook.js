/**
 * Lets a plain-JavaScript child process (no ts-node, no build) require the
 * embedded store's TypeScript: each .ts file is transpiled on load
 * (typescript.transpileModule, no type check). Works for files that import
 * each other by relative paths, as the store's do.
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run by node without a build */
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};
