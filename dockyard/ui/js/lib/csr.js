// A new RSA key and a CSR for it, made in the browser exactly as `openstack coe cluster config`
// makes them (python-magnumclient common/utils.py: generate_csr_and_key): RSA 2048, e=65537,
// subject CN=admin, O=system:masters, SHA-256. The private key never leaves the page
// (docs/decisions/0030-cluster-config-built-in-the-browser.md).

import { bitString, contextTag, integer0, nullValue, oid, pem, pkcs8ToPkcs1, sequence, set, utf8String } from './der.js';

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_SHA256_RSA = '1.2.840.113549.1.1.11';

export function cryptoAvailable() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && crypto.subtle);
}

function rdn(type, value) {
  return set(sequence(oid(type), utf8String(value)));
}

export async function generateCsrAndKey({ commonName = 'admin', organization = 'system:masters' } = {}) {
  if (!cryptoAvailable()) {
    throw new Error('This browser cannot make keys here: WebCrypto needs a secure context '
      + '(HTTPS, or http://localhost). Use `openstack coe cluster config` instead.');
  }
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const subject = sequence(rdn(OID_CN, commonName), rdn(OID_O, organization));
  const info = sequence(integer0(), subject, spki, contextTag(0));
  const signature = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, info));
  const csr = sequence(info, sequence(oid(OID_SHA256_RSA), nullValue()), bitString(signature));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    csr: pem('CERTIFICATE REQUEST', csr),
    // TraditionalOpenSSL, as the CLI writes it.
    key: pem('RSA PRIVATE KEY', pkcs8ToPkcs1(pkcs8)),
  };
}
