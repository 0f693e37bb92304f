#!/usr/bin/env node
'use strict';
/**
 * ipt-verify bundle.json [--public-key key.pem|jwk.json] [--previous checkpoint.json]
 * Exit 0: valid. 1: broken (the report says what and where). 2: cannot run.
 */
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { CannotVerify, verifyBundle, keyIdOf, readPublicKey } = require('../lib');

const USAGE =
  'usage: ipt-verify bundle.json [--public-key key.pem|jwk.json] [--previous checkpoint.json]';

function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CannotVerify(`cannot read the ${what} ${file} (${error.code ?? error.message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CannotVerify(`the ${what} ${file} is not JSON`);
  }
}

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'public-key': { type: 'string' },
        previous: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CannotVerify(`${error.message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new CannotVerify(USAGE);

  const bundle = readJson(parsed.positionals[0], 'bundle');
  const options = {};
  const keyFile = parsed.values['public-key'];
  if (keyFile !== undefined) {
    try {
      options.publicKey = readPublicKey(fs.readFileSync(keyFile, 'utf8'));
    } catch (error) {
      throw new CannotVerify(
        `cannot use the public key ${keyFile} (${error.code ?? error.message})`,
      );
    }
  }
  if (parsed.values.previous !== undefined) {
    options.previous = readJson(parsed.values.previous, 'previous checkpoint');
  }

  const report = verifyBundle(bundle, options);
  console.log(
    `audit bundle of course ${bundle.courseId}: ${bundle.events.length} events, ` +
      `checkpoint of ${bundle.checkpoint.origin} at events tree size ${bundle.checkpoint.events.size}`,
  );
  for (const { name, ok, detail } of report.checks) {
    console.log(`  ${name.padEnd(20)} ${ok ? 'ok    ' : 'BROKEN'} ${detail}`);
  }
  for (const note of report.notes) console.log(`  note: ${note}`);
  if (options.publicKey) console.log(`  key given: ${keyIdOf(options.publicKey)}`);
  console.log(report.valid ? 'VALID' : 'BROKEN');
  return report.valid ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // Anything unforeseen is also "cannot run": exit 1 is kept for a bundle found broken.
  const message =
    error instanceof CannotVerify ? error.message : `unexpected error: ${error.stack}`;
  console.error(`ipt-verify: cannot verify: ${message}`);
  process.exitCode = 2;
}
