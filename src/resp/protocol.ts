// RESP2 and RESP3: an incremental request parser (multibulk and inline) and a reply serializer.
import { DssmrError } from "../core/errors.ts";

/** Default largest bulk string a request may carry (Redis's proto-max-bulk-len is 512 MiB). */
export const DEFAULT_MAX_BULK_BYTES = 16 * 1024 * 1024;
/** Most arguments one request may carry (Redis's limit). */
export const MAX_MULTIBULK = 1024 * 1024;
/** Longest inline request or header line (Redis's PROTO_INLINE_MAX_SIZE). */
export const MAX_INLINE_BYTES = 64 * 1024;

/**
 * The client broke the protocol. The message is Redis's wording without the `ERR` prefix; the
 * server sends it as an error reply and closes that connection, as Redis does.
 */
export class RespProtocolError extends DssmrError {
  /** The complete requests that came before the bad bytes in the same feed: they still run. */
  complete: Buffer[][] = [];
  constructor(message: string) {
    super("E_RESP_PROTOCOL", `Protocol error: ${message}`);
  }
}

/** Options of {@link RespParser}. */
export interface RespParserOptions {
  /** Largest bulk string accepted; a larger declared length fails before any byte is buffered. */
  readonly maxBulkBytes?: number;
}

const CR = 13;
const LF = 10;

/**
 * Splits an inline request as redis-cli would type it: words separated by spaces or tabs,
 * "double quotes" with \n \r \t \\ \" and \xHH escapes, 'single quotes' with \' only.
 */
export function splitInline(line: Buffer): Buffer[] {
  const s = line.toString("latin1");
  const out: Buffer[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    if (i >= s.length) break;
    let word = "";
    const q = s[i];
    if (q === '"' || q === "'") {
      i++;
      for (;;) {
        if (i >= s.length) throw new RespProtocolError("unbalanced quotes in request");
        const c = s[i]!;
        if (c === q) {
          i++;
          break;
        }
        if (c === "\\" && i + 1 < s.length) {
          const n = s[i + 1]!;
          if (q === "'") {
            word += n === "'" ? "'" : `\\${n}`;
            i += 2;
            continue;
          }
          const hex = s.slice(i + 2, i + 4);
          if (n === "x" && /^[0-9a-fA-F]{2}$/.test(hex)) {
            word += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            continue;
          }
          word += n === "n" ? "\n" : n === "r" ? "\r" : n === "t" ? "\t" : n;
          i += 2;
          continue;
        }
        word += c;
        i++;
      }
      if (i < s.length && s[i] !== " " && s[i] !== "\t") {
        throw new RespProtocolError("unbalanced quotes in request");
      }
    } else {
      while (i < s.length && s[i] !== " " && s[i] !== "\t") word += s[i++];
    }
    out.push(Buffer.from(word, "latin1"));
  }
  return out;
}

/**
 * An incremental parser of client requests: arrays of bulk strings (what every client sends)
 * and inline commands (what telnet and redis-benchmark's inline mode send). `feed` returns the
 * complete requests so far, each a list of arguments; it throws RespProtocolError on a malformed
 * frame and is unusable afterwards. Large bulk strings are gathered as a list of chunks and
 * copied once, so a 16 MiB value arriving in 64 KiB reads costs linear time.
 */
export class RespParser {
  private readonly maxBulk: number;
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  /** Arguments of the multibulk request being read, and how many are still to come. */
  private args: Buffer[] | null = null;
  private remaining = 0;
  /** Length of the bulk string whose body is being read, or -1 while reading a header. */
  private bulkLen = -1;
  /** Chunks of a large bulk body, gathered until complete. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private failed = false;

  constructor(opts: RespParserOptions = {}) {
    this.maxBulk = opts.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES;
  }

  /** Bytes held for incomplete requests. */
  get buffered(): number {
    return this.buf.length - this.off + this.partsBytes;
  }

  /** Adds received bytes; returns the requests they complete, in order. */
  feed(chunk: Buffer): Buffer[][] {
    if (this.failed) throw new RespProtocolError("the parser failed earlier");
    const out: Buffer[][] = [];
    try {
      this.parse(chunk, out);
      return out;
    } catch (err) {
      this.failed = true;
      if (err instanceof RespProtocolError) err.complete = out;
      throw err;
    }
  }

  private parse(chunk: Buffer, out: Buffer[][]): void {
    if (this.bulkLen >= 0 && this.parts.length > 0) {
      // Gathering a large body: keep the chunk aside until the body (and its CRLF) is whole.
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      if (this.partsBytes < this.bulkLen + 2) return;
      this.buf = Buffer.concat(this.parts);
      this.off = 0;
      this.parts = [];
      this.partsBytes = 0;
    } else if (this.off >= this.buf.length) {
      this.buf = chunk;
      this.off = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.off), chunk]);
      this.off = 0;
    }
    for (;;) {
      if (this.args === null) {
        if (this.off >= this.buf.length) break;
        if (this.buf[this.off] !== 0x2a /* '*' */) {
          const line = this.line(true);
          if (line === null) break;
          const args = splitInline(line);
          if (args.length > 0) out.push(args);
          continue;
        }
        const line = this.line(false);
        if (line === null) break;
        const n = this.int(line.subarray(1), "invalid multibulk length");
        if (n > MAX_MULTIBULK) throw new RespProtocolError("invalid multibulk length");
        if (n <= 0) continue; // Redis ignores empty and null arrays
        this.args = [];
        this.remaining = n;
      }
      if (this.bulkLen < 0) {
        if (this.off >= this.buf.length) break;
        if (this.buf[this.off] !== 0x24 /* '$' */) {
          const got = String.fromCharCode(this.buf[this.off]!);
          throw new RespProtocolError(`expected '$', got '${got}'`);
        }
        const line = this.line(false);
        if (line === null) break;
        const n = this.int(line.subarray(1), "invalid bulk length");
        if (n < 0 || n > this.maxBulk) throw new RespProtocolError("invalid bulk length");
        this.bulkLen = n;
      }
      const have = this.buf.length - this.off;
      if (have < this.bulkLen + 2) {
        if (this.bulkLen >= 64 * 1024) {
          this.parts = [this.buf.subarray(this.off)];
          this.partsBytes = have;
          this.buf = Buffer.alloc(0);
          this.off = 0;
        }
        break;
      }
      const end = this.off + this.bulkLen;
      if (this.buf[end] !== CR || this.buf[end + 1] !== LF) {
        throw new RespProtocolError("bulk string not followed by CRLF");
      }
      // Copy: the request may outlive the socket's chunk, and a view would pin all of it.
      this.args!.push(Buffer.from(this.buf.subarray(this.off, end)));
      this.off = end + 2;
      this.bulkLen = -1;
      if (--this.remaining === 0) {
        out.push(this.args!);
        this.args = null;
      }
    }
    if (this.off >= this.buf.length) {
      this.buf = Buffer.alloc(0);
      this.off = 0;
    }
  }

  /** The next line without its terminator, or null if incomplete; inline lines may end in LF. */
  private line(inline: boolean): Buffer | null {
    const lf = this.buf.indexOf(LF, this.off);
    if (lf < 0) {
      if (this.buf.length - this.off > MAX_INLINE_BYTES) {
        throw new RespProtocolError(
          inline ? "too big inline request" : "too big mbulk count string",
        );
      }
      return null;
    }
    let end = lf;
    if (end > this.off && this.buf[end - 1] === CR) end--;
    else if (!inline) throw new RespProtocolError("header not terminated by CRLF");
    const line = this.buf.subarray(this.off, end);
    this.off = lf + 1;
    return line;
  }

  private int(digits: Buffer, what: string): number {
    const s = digits.toString("latin1");
    if (!/^-?[0-9]{1,10}$/.test(s)) throw new RespProtocolError(what);
    return Number(s);
  }
}

/** A reply, in RESP3's types; RESP2 connections get the nearest RESP2 type. */
export type RespValue =
  /** Nil: `$-1` in RESP2, `_` in RESP3. */
  | null
  | { readonly t: "simple"; readonly s: string }
  | { readonly t: "error"; readonly s: string }
  | { readonly t: "int"; readonly n: number | bigint | string }
  | { readonly t: "bulk"; readonly b: Buffer | string }
  | { readonly t: "array"; readonly items: readonly RespValue[] }
  /** A map: a flat array of keys and values in RESP2. */
  | { readonly t: "map"; readonly entries: readonly (readonly [RespValue, RespValue])[] }
  /** A set: an array in RESP2. */
  | { readonly t: "set"; readonly items: readonly RespValue[] }
  /** A boolean: the integer 1 or 0 in RESP2. */
  | { readonly t: "bool"; readonly v: boolean };

/** An error reply. */
export type RespError = { readonly t: "error"; readonly s: string };

/** Reply constructors. */
export const R = {
  ok: { t: "simple", s: "OK" } as RespValue,
  simple: (s: string): RespValue => ({ t: "simple", s }),
  error: (s: string): RespError => ({ t: "error", s }),
  int: (n: number | bigint | string): RespValue => ({ t: "int", n }),
  bulk: (b: Buffer | string): RespValue => ({ t: "bulk", b }),
  array: (items: readonly RespValue[]): RespValue => ({ t: "array", items }),
  map: (entries: readonly (readonly [RespValue, RespValue])[]): RespValue => ({
    t: "map",
    entries,
  }),
  set: (items: readonly RespValue[]): RespValue => ({ t: "set", items }),
  bool: (v: boolean): RespValue => ({ t: "bool", v }),
};

/**
 * A stored string as the bytes a client gets back: the RESP front end stores bytes as code
 * units 0..255 (latin1), so those map back one to one; a string with wider code units was
 * written by another client (the native CLI) and goes out as UTF-8.
 */
export function toBytes(s: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole latin1 range is the point
  return /^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, "latin1") : Buffer.from(s, "utf8");
}

/** Status and error text cannot hold line breaks: they would end the reply. */
const oneLine = (s: string): string => s.replace(/[\r\n]+/g, " ");

/** Serializes a reply for a connection speaking protocol `proto`, appending to `out`. */
export function encodeReply(v: RespValue, proto: 2 | 3, out: Buffer[] = []): Buffer[] {
  const text = (s: string) => out.push(Buffer.from(s, "latin1"));
  if (v === null) {
    text(proto === 3 ? "_\r\n" : "$-1\r\n");
    return out;
  }
  switch (v.t) {
    case "simple":
      out.push(Buffer.from(`+${oneLine(v.s)}\r\n`, "utf8"));
      break;
    case "error":
      out.push(Buffer.from(`-${oneLine(v.s)}\r\n`, "utf8"));
      break;
    case "int":
      text(`:${String(v.n)}\r\n`);
      break;
    case "bool":
      text(proto === 3 ? (v.v ? "#t\r\n" : "#f\r\n") : v.v ? ":1\r\n" : ":0\r\n");
      break;
    case "bulk": {
      const b = typeof v.b === "string" ? toBytes(v.b) : v.b;
      text(`$${b.length}\r\n`);
      out.push(b);
      text("\r\n");
      break;
    }
    case "array":
    case "set":
      text(`${v.t === "set" && proto === 3 ? "~" : "*"}${v.items.length}\r\n`);
      for (const item of v.items) encodeReply(item, proto, out);
      break;
    case "map":
      text(proto === 3 ? `%${v.entries.length}\r\n` : `*${v.entries.length * 2}\r\n`);
      for (const [k, val] of v.entries) {
        encodeReply(k, proto, out);
        encodeReply(val, proto, out);
      }
      break;
  }
  return out;
}
