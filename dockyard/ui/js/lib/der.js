// Just enough ASN.1 DER to build a PKCS#10 request and unwrap a PKCS#8 key (RFC 2986, 5208).

export function concat(parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function lengthBytes(n) {
  if (n < 0x80) return [n];
  const bytes = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag, ...parts) {
  const body = concat(parts);
  return concat([Uint8Array.of(tag, ...lengthBytes(body.length)), body]);
}

export const sequence = (...parts) => tlv(0x30, ...parts);
export const set = (...parts) => tlv(0x31, ...parts);
export const integer0 = () => Uint8Array.of(0x02, 0x01, 0x00);
export const nullValue = () => Uint8Array.of(0x05, 0x00);
export const utf8String = (s) => tlv(0x0c, new TextEncoder().encode(s));
export const bitString = (bytes) => tlv(0x03, Uint8Array.of(0), bytes);
export const contextTag = (n, ...parts) => tlv(0xa0 | n, ...parts);

export function oid(dotted) {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    let rest = Math.floor(arc / 128);
    while (rest > 0) {
      chunk.unshift(0x80 | (rest & 0x7f));
      rest = Math.floor(rest / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

// One TLV at `offset`: {tag, start (of content), end}.
export function read(bytes, offset = 0) {
  const tag = bytes[offset];
  let len = bytes[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + bytes[start + i];
    start += count;
  }
  if (start + len > bytes.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

export function children(bytes, node) {
  const out = [];
  for (let at = node.start; at < node.end;) {
    const child = read(bytes, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

// PKCS#8 PrivateKeyInfo -> the PKCS#1 RSAPrivateKey inside it (its privateKey OCTET STRING).
export function pkcs8ToPkcs1(pkcs8) {
  const top = read(pkcs8, 0);
  const parts = children(pkcs8, top);
  const octets = parts[2];
  if (!octets || octets.tag !== 0x04) throw new Error('not a PKCS#8 key');
  return pkcs8.slice(octets.start, octets.end);
}

export function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function textToBase64(text) {
  return toBase64(new TextEncoder().encode(text));
}

export function pem(label, bytes) {
  const b64 = toBase64(bytes).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
