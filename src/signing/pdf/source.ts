/**
 * Random access to a PDF's bytes without holding the file: a buffer, or a file descriptor read in
 * chunks (a 100 MB document costs a few chunks of memory). `limit` truncates the view: a revision of a
 * document is the document read up to that revision's end.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** `len` bytes from `pos` (fewer at the end); never past `size`. */
  read(pos: number, len: number): Uint8Array;
  /** Feeds [from, to) to `update` in pieces through one reused buffer (sequential hashing), when supported. */
  stream?(from: number, to: number, update: (chunk: Uint8Array) => void): void;
  close(): void;
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return {
    size: buf.length,
    read: (pos, len) => buf.subarray(Math.max(0, pos), Math.min(buf.length, pos + len)),
    close() {},
  };
}

const CHUNK = 64 * 1024;
const CACHED_CHUNKS = 32;

export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const cache = new Map<number, Uint8Array>();
  const chunk = (i: number): Uint8Array => {
    let c = cache.get(i);
    if (c) {
      cache.delete(i);
      cache.set(i, c);
      return c;
    }
    const len = Math.min(CHUNK, size - i * CHUNK);
    c = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, c, got, len - got, i * CHUNK + got);
      if (n === 0) break;
      got += n;
    }
    cache.set(i, c);
    if (cache.size > CACHED_CHUNKS) cache.delete(cache.keys().next().value!);
    return c;
  };
  return {
    size,
    stream(from, to, update) {
      // Not through the chunk cache: one 1 MB buffer, reused, so hashing 100 MB allocates nothing.
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let p = from; p < to;) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, to - p), p);
        if (n === 0) break;
        update(buf.subarray(0, n));
        p += n;
      }
    },
    read(pos, len) {
      const start = Math.max(0, pos);
      const end = Math.min(size, pos + len);
      if (end <= start) return new Uint8Array(0);
      const first = Math.floor(start / CHUNK);
      const last = Math.floor((end - 1) / CHUNK);
      if (first === last) return chunk(first).subarray(start - first * CHUNK, end - first * CHUNK);
      const out = Buffer.allocUnsafe(end - start);
      for (let i = first, o = 0; i <= last; i++) {
        const c = chunk(i);
        const from = i === first ? start - first * CHUNK : 0;
        const to = i === last ? end - last * CHUNK : c.length;
        out.set(c.subarray(from, to), o);
        o += to - from;
      }
      return out;
    },
    close() {
      closeSync(fd);
      cache.clear();
    },
  };
}

/** The first `limit` bytes of `src`. */
export function truncated(src: ByteSource, limit: number): ByteSource {
  const size = Math.min(limit, src.size);
  return { size, read: (pos, len) => src.read(pos, Math.max(0, Math.min(len, size - pos))), close() {} };
}

/** Feeds `src[from, to)` to `update` in chunks (hashing a range without loading it). */
export function forEachChunk(src: ByteSource, from: number, to: number, update: (chunk: Uint8Array) => void, chunkSize = 1024 * 1024): void {
  if (src.stream) { src.stream(from, to, update); return; }
  for (let p = from; p < to; p += chunkSize) update(src.read(p, Math.min(chunkSize, to - p)));
}

/** `src` followed by appended buffers (a document and the updates written after it). */
export function concatSource(src: ByteSource, tail: readonly Uint8Array[]): ByteSource {
  if (tail.length === 0) return src;
  const parts: { start: number; buf: Uint8Array }[] = [];
  let size = src.size;
  for (const b of tail) {
    parts.push({ start: size, buf: b });
    size += b.length;
  }
  return {
    size,
    read(pos, len) {
      const end = Math.min(size, pos + len);
      if (end <= pos) return new Uint8Array(0);
      if (end <= src.size) return src.read(pos, end - pos);
      const out = Buffer.allocUnsafe(end - pos);
      let o = 0;
      if (pos < src.size) {
        const head = src.read(pos, src.size - pos);
        out.set(head, 0);
        o = head.length;
      }
      for (const p of parts) {
        const from = Math.max(pos + o, p.start);
        const to = Math.min(end, p.start + p.buf.length);
        if (to > from) {
          out.set(p.buf.subarray(from - p.start, to - p.start), from - pos);
          o = to - pos;
        }
      }
      return out;
    },
    stream(from, to, update) {
      const mid = Math.min(to, src.size);
      if (from < mid) forEachChunk(src, from, mid, update);
      for (const p of parts) {
        const a = Math.max(from, p.start);
        const b = Math.min(to, p.start + p.buf.length);
        if (b > a) update(p.buf.subarray(a - p.start, b - p.start));
      }
    },
    close() { src.close(); },
  };
}
