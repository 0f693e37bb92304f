'use strict';
/** The offline verifier's functions, for programs and tests; the CLI is bin/ipt-verify.js. */
module.exports = {
  ...require('./canonical'),
  ...require('./merkle'),
  ...require('./chain'),
  ...require('./signature'),
  ...require('./bundle'),
};
