// The connection handshake: protocol version check and, with a cluster secret, HMAC challenge-response.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Version of the wire protocol (frames, hello, message shapes). Both sides of a connection must
 * speak the same one; a mismatch is refused with a reason naming both versions.
 */
export const PROTOCOL_VERSION = 2;

/** Bytes of each side's random nonce. */
export const NONCE_BYTES = 16;

/** Largest frame accepted before a connection's handshake completes. */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

/**
 * The first frame the dialling side sends, naming itself. With a cluster secret it is sent only
 * after the acceptor's challenge and carries the dialler's nonce and a MAC over both nonces.
 */
export interface Hello {
  readonly type: "hello";
  readonly v: number;
  readonly id: number;
  readonly nonce?: Uint8Array;
  readonly mac?: Uint8Array;
  /**
   * The application the dialler runs (name and module hash, see app-module.ts), when it runs
   * one. Not covered by the MAC: it guards against a mistake, not an attacker, who would need
   * the secret anyway.
   */
  readonly app?: string;
}

/** Longest application identity a hello may carry. */
export const MAX_APP_IDENTITY_CHARS = 256;

/** With a secret: the acceptor's first frame, sent as soon as it accepts. */
export interface Challenge {
  readonly type: "challenge";
  readonly v: number;
  readonly nonce: Uint8Array;
}

/** With a secret: the acceptor's proof that it holds the secret too (mutual authentication). */
export interface Welcome {
  readonly type: "welcome";
  readonly v: number;
  readonly id: number;
  readonly mac: Uint8Array;
}

/** Sent by either side just before it closes a connection whose handshake failed. */
export interface Refused {
  readonly type: "refused";
  readonly v: number;
  readonly reason: string;
  /** Which check failed, when the dialler can act on it (an application mismatch). */
  readonly failure?: HandshakeFailure;
}

/**
 * Why a handshake failed. `app`: both sides run an application and they differ (another module,
 * or another version of it).
 */
export type HandshakeFailure = "version" | "auth" | "protocol" | "timeout" | "app";

/** Message types that belong to the handshake; never delivered to the application. */
export const HANDSHAKE_TYPES: ReadonlySet<string> = new Set([
  "hello",
  "challenge",
  "welcome",
  "refused",
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

const isBytes = (v: unknown, n: number): v is Uint8Array =>
  v instanceof Uint8Array && v.byteLength === n;

/** A fresh random nonce. */
export const newNonce = (): Uint8Array => randomBytes(NONCE_BYTES);

/**
 * HMAC-SHA256 keyed by the secret over a label (which message, so one can never stand in for
 * the other), the protocol version, both ids (decimal, NUL-separated: unambiguous) and both
 * fixed-length nonces.
 */
function mac(
  secret: string,
  label: "hello" | "welcome",
  v: number,
  dialler: number,
  acceptor: number | null,
  diallerNonce: Uint8Array,
  acceptorNonce: Uint8Array,
): Buffer {
  return createHmac("sha256", secret)
    .update(`dssmr-${label}\0${v}\0${dialler}\0${acceptor ?? ""}\0`)
    .update(diallerNonce)
    .update(acceptorNonce)
    .digest();
}

/** The dialler's hello MAC: proves the secret, bound to this connection's challenge. */
export const helloMac = (
  secret: string,
  v: number,
  id: number,
  nonce: Uint8Array,
  challenge: Uint8Array,
): Buffer => mac(secret, "hello", v, id, null, nonce, challenge);

/** The acceptor's welcome MAC: proves the secret, bound to both nonces and both ids. */
export const welcomeMac = (
  secret: string,
  v: number,
  dialler: number,
  acceptor: number,
  diallerNonce: Uint8Array,
  challenge: Uint8Array,
): Buffer => mac(secret, "welcome", v, dialler, acceptor, diallerNonce, challenge);

/** Constant-time comparison of a received MAC (anything) with the expected one. */
export function macMatches(expected: Buffer, got: unknown): boolean {
  if (!isBytes(got, expected.byteLength)) return false;
  return timingSafeEqual(expected, got);
}

/** The result of checking a handshake frame. */
export type HandshakeCheck<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: HandshakeFailure; readonly reason: string };

const fail = (failure: HandshakeFailure, reason: string) =>
  ({ ok: false, failure, reason }) as const;

const versionReason = (theirs: unknown): string =>
  `peer speaks protocol version ${JSON.stringify(theirs ?? null)}, this node speaks ${PROTOCOL_VERSION}`;

/**
 * Checks the dialler's hello at the acceptor. With `secret`, `challenge` is the nonce this
 * acceptor sent, and the hello must carry a nonce and a MAC over both. With `app` (what this
 * node runs), a hello naming another application is refused; one naming none (a status probe,
 * which sends no commands) is accepted.
 */
export function checkHello(
  frame: unknown,
  secret: string | undefined,
  challenge: Uint8Array | null,
  app?: string,
): HandshakeCheck<Hello> {
  if (!isObject(frame) || frame.type !== "hello") {
    return fail("protocol", "the first frame of a connection must be a hello");
  }
  if (frame.v !== PROTOCOL_VERSION) return fail("version", versionReason(frame.v));
  if (!Number.isSafeInteger(frame.id)) return fail("protocol", "hello without an integer id");
  if (
    frame.app !== undefined &&
    (typeof frame.app !== "string" || frame.app.length > MAX_APP_IDENTITY_CHARS)
  ) {
    return fail("protocol", "hello with a malformed app identity");
  }
  const hello = frame as unknown as Hello;
  if (secret !== undefined && challenge !== null) {
    if (!isBytes(frame.nonce, NONCE_BYTES)) {
      return fail("auth", "hello without a nonce: the peer has no cluster secret");
    }
    const expected = helloMac(secret, PROTOCOL_VERSION, hello.id, frame.nonce, challenge);
    if (!macMatches(expected, frame.mac)) return fail("auth", "hello with a wrong cluster secret");
  }
  // After the secret: an outsider learns nothing about the application from a refusal.
  if (app !== undefined && hello.app !== undefined && hello.app !== app) {
    return fail("app", appMismatchReason(hello.id, hello.app, app));
  }
  return { ok: true, value: hello };
}

/**
 * Why node `peer`, running `theirs`, was refused by a node running `ours`: both identities, so
 * that whoever reads it (the refused side prints it) sees which module differs.
 */
export function appMismatchReason(peer: number, theirs: string, ours: string): string {
  return `application mismatch: node ${peer} runs app ${JSON.stringify(theirs)} but the cluster runs ${JSON.stringify(ours)}; replicas and clients must load the same app module (same file contents)`;
}

/** Checks the acceptor's challenge at the dialler. */
export function checkChallenge(frame: unknown): HandshakeCheck<Challenge> {
  if (!isObject(frame)) return fail("protocol", "expected a challenge");
  if (frame.type === "refused") return fail(refusalFailure(frame), refusedReason(frame));
  if (frame.type !== "challenge") {
    return fail("auth", "the peer sent no challenge: it has no cluster secret");
  }
  if (frame.v !== PROTOCOL_VERSION) return fail("version", versionReason(frame.v));
  if (!isBytes(frame.nonce, NONCE_BYTES)) return fail("protocol", "challenge without a nonce");
  return { ok: true, value: frame as unknown as Challenge };
}

/**
 * Checks the acceptor's welcome at the dialler: right version, the id that was dialled, and a
 * MAC only a holder of the secret could compute for these two nonces.
 */
export function checkWelcome(
  frame: unknown,
  secret: string,
  self: number,
  dialled: number,
  nonce: Uint8Array,
  challenge: Uint8Array,
): HandshakeCheck<Welcome> {
  if (!isObject(frame)) return fail("protocol", "expected a welcome");
  if (frame.type === "refused") return fail(refusalFailure(frame), refusedReason(frame));
  if (frame.type !== "welcome") return fail("protocol", "expected a welcome");
  if (frame.v !== PROTOCOL_VERSION) return fail("version", versionReason(frame.v));
  if (frame.id !== dialled) {
    return fail("protocol", `dialled node ${dialled} but node ${String(frame.id)} answered`);
  }
  const expected = welcomeMac(secret, PROTOCOL_VERSION, self, dialled, nonce, challenge);
  if (!macMatches(expected, frame.mac)) return fail("auth", "welcome with a wrong cluster secret");
  return { ok: true, value: frame as unknown as Welcome };
}

/** The reason a peer gave for refusing us, for our log. */
export function refusedReason(frame: Record<string, unknown>): string {
  const why = typeof frame.reason === "string" ? frame.reason.slice(0, 640) : "no reason given";
  return `refused by the peer: ${why}`;
}

/**
 * The failure a peer's refusal stands for at this end: an application mismatch stays one (the
 * client reports it and stops waiting); anything else is a protocol failure here, as before.
 */
export function refusalFailure(frame: Record<string, unknown>): HandshakeFailure {
  return frame.failure === "app" ? "app" : "protocol";
}
