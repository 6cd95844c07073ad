import { encodeUtf8Pair, LITTLE_ENDIAN, type Utf8Scratch } from './utf8.ts';

// MD5 (RFC 1321): on the evaluation hot path it runs once per rollout decision. The unit tests check
// it against node:crypto on random strings.

const state = new Int32Array(4);

/** Big-endian hosts only: the message as little-endian words, which is how MD5 reads it. */
function littleEndianWords(bytes: Uint8Array, length: number): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  return Int32Array.from({ length: length >>> 2 }, (_, i) => view.getInt32(i * 4, true));
}

// Fully unrolled, operations written out rather than called: V8 would not inline 64 helper calls here.
function compress(w: Int32Array, o: number): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let n: number;
  n = (a + ((b & c) | (~b & d)) + w[o]! + -680876936) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + w[o + 1]! + -389564586) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + w[o + 2]! + 606105819) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + w[o + 3]! + -1044525330) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + w[o + 4]! + -176418897) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + w[o + 5]! + 1200080426) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + w[o + 6]! + -1473231341) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + w[o + 7]! + -45705983) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + w[o + 8]! + 1770035416) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + w[o + 9]! + -1958414417) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + w[o + 10]! + -42063) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + w[o + 11]! + -1990404162) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + w[o + 12]! + 1804603682) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + w[o + 13]! + -40341101) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + w[o + 14]! + -1502002290) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + w[o + 15]! + 1236535329) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + w[o + 1]! + -165796510) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + w[o + 6]! + -1069501632) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + w[o + 11]! + 643717713) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + w[o]! + -373897302) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + w[o + 5]! + -701558691) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + w[o + 10]! + 38016083) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + w[o + 15]! + -660478335) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + w[o + 4]! + -405537848) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + w[o + 9]! + 568446438) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + w[o + 14]! + -1019803690) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + w[o + 3]! + -187363961) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + w[o + 8]! + 1163531501) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + w[o + 13]! + -1444681467) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + w[o + 2]! + -51403784) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + w[o + 7]! + 1735328473) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + w[o + 12]! + -1926607734) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + (b ^ c ^ d) + w[o + 5]! + -378558) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + w[o + 8]! + -2022574463) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + w[o + 11]! + 1839030562) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + w[o + 14]! + -35309556) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + w[o + 1]! + -1530992060) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + w[o + 4]! + 1272893353) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + w[o + 7]! + -155497632) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + w[o + 10]! + -1094730640) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + w[o + 13]! + 681279174) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + w[o]! + -358537222) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + w[o + 3]! + -722521979) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + w[o + 6]! + 76029189) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + w[o + 9]! + -640364487) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + w[o + 12]! + -421815835) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + w[o + 15]! + 530742520) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + w[o + 2]! + -995338651) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + w[o]! + -198630844) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + w[o + 7]! + 1126891415) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + w[o + 14]! + -1416354905) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + w[o + 5]! + -57434055) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + w[o + 12]! + 1700485571) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + w[o + 3]! + -1894986606) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + w[o + 10]! + -1051523) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + w[o + 1]! + -2054922799) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + w[o + 8]! + 1873313359) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + w[o + 15]! + -30611744) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + w[o + 6]! + -1560198380) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + w[o + 13]! + 1309151649) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + w[o + 4]! + -145523070) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + w[o + 11]! + -1120210379) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + w[o + 2]! + 718787259) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + w[o + 9]! + -343485551) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

function writeUint32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = value >>> 24;
}

/** Appends MD5's padding and length after `length` message bytes; returns the padded length (a multiple of 64). */
function pad(scratch: Utf8Scratch, length: number): number {
  const { bytes } = scratch;
  const padded = (((length + 8) >>> 6) + 1) << 6;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, padded - 8);
  writeUint32LE(bytes, padded - 8, (length * 8) >>> 0);
  writeUint32LE(bytes, padded - 4, Math.floor((length * 8) / 2 ** 32));
  return padded;
}

/**
 * MD5 of the UTF-8 bytes of `first + second` (no string is built), as its four state words a, b, c, d: each
 * the little-endian reading of four digest bytes. The result is reused by the next call.
 */
export function md5Words(first: string, second = ''): Int32Array {
  const scratch = encodeUtf8Pair(first, second, 72);
  const padded = pad(scratch, scratch.length);
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  const words = LITTLE_ENDIAN ? scratch.words : littleEndianWords(scratch.bytes, padded);
  for (let offset = 0; offset < padded; offset += 64) compress(words, offset >>> 2);
  return state;
}
