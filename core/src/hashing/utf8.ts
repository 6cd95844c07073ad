const encoder = new TextEncoder();
const KEEP_AT_MOST = 64 * 1024;
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Encoded text in a buffer with a 32-bit little-endian word view over the same bytes. */
export interface Utf8Scratch {
  bytes: Uint8Array;
  words: Int32Array;
  length: number;
}

function allocate(size: number): Utf8Scratch {
  const buffer = new ArrayBuffer(Math.ceil(size / 64) * 64);
  return { bytes: new Uint8Array(buffer), words: new Int32Array(buffer), length: 0 };
}

let shared = allocate(256);

function writeAscii(text: string, bytes: Uint8Array, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    bytes[offset + i] = code;
  }
  return offset + text.length;
}

/**
 * Encodes `first + second` as UTF-8 into a shared scratch buffer (the bytes are valid until the next call:
 * callers hash them at once and keep nothing). `reserve` bytes stay free after the text for padding.
 */
export function encodeUtf8Pair(first: string, second: string, reserve = 0): Utf8Scratch {
  const worstCase = (first.length + second.length) * 3 + reserve;
  if (shared.bytes.length < worstCase && worstCase <= KEEP_AT_MOST) shared = allocate(KEEP_AT_MOST);
  // A huge value gets a buffer of its own rather than pinning megabytes for the life of the process.
  const scratch = shared.bytes.length >= worstCase ? shared : allocate(worstCase);
  const { bytes } = scratch;
  let end = writeAscii(first, bytes, 0);
  if (end >= 0) end = writeAscii(second, bytes, end);
  if (end < 0) {
    end = encoder.encodeInto(first, bytes).written;
    end += encoder.encodeInto(second, bytes.subarray(end)).written;
  }
  scratch.length = end;
  return scratch;
}

export function encodeUtf8(text: string): Utf8Scratch {
  return encodeUtf8Pair(text, '');
}
