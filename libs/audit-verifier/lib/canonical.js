'use strict';
/**
 * Canonical JSON as audit.md defines it: keys sorted at every level, no
 * whitespace. The bundle comes from JSON.parse, so only JSON values occur.
 */
function canonicalJson(value) {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const parts = [];
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      parts.push(JSON.stringify(key) + ':' + canonicalJson(value[key]));
    }
    return '{' + parts.join(',') + '}';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError('a number that JSON cannot hold');
  }
  return JSON.stringify(value);
}

module.exports = { canonicalJson };
