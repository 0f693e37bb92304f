'use strict';
/** Ed25519 checkpoint signatures and key ids, with Node's crypto only. */
const { createHash, createPublicKey, verify } = require('node:crypto');
const { canonicalJson } = require('./canonical');

/** base64url of SHA-256 over the SPKI (DER), first 16 bytes: the service's key id. */
function keyIdOf(publicKey) {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest().subarray(0, 16).toString('base64url');
}

/**
 * A public key from PEM text, a JWK object, or the service's public-key
 * answer ({keyId, jwk, pem}). Throws when it is not an Ed25519 key.
 */
function readPublicKey(source) {
  let key;
  if (typeof source === 'string') {
    const text = source.trim();
    if (text.startsWith('{')) return readPublicKey(JSON.parse(text));
    key = createPublicKey({ key: text, format: 'pem' });
  } else if (source && typeof source === 'object' && source.jwk) {
    key = createPublicKey({ key: source.jwk, format: 'jwk' });
  } else {
    key = createPublicKey({ key: source, format: 'jwk' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

function verifyCheckpointSignature(checkpoint, signatureBase64, publicKey) {
  if (typeof signatureBase64 !== 'string') return false;
  const signature = Buffer.from(signatureBase64, 'base64');
  // Node's base64 decoder skips what it cannot read; only the exact encoding counts.
  if (signature.toString('base64') !== signatureBase64) return false;
  try {
    const message = Buffer.from(canonicalJson(checkpoint), 'utf8');
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

module.exports = { keyIdOf, readPublicKey, verifyCheckpointSignature };
