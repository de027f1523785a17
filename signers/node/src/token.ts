/**
 * Version-1 tracking tokens, as docs/tracking-token.md specifies them: key lists (section 7), the
 * field block (3), the tag (5), base64url (6), destination URLs (8), URL forms (9) and
 * verification (10). node:crypto only. `Signer` (signer.ts) is what a sender calls; this module
 * is the spec, function by function.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const VERSION = 1;
export const OPEN = 1;
export const CLICK = 2;
export const CLICK_URL_IN_QUERY = 3;
/** One-click unsubscribe (RFC 8058): POSTed to /u/<token>. */
export const UNSUBSCRIBE = 4;
export type Kind = typeof OPEN | typeof CLICK | typeof CLICK_URL_IN_QUERY | typeof UNSUBSCRIBE;

const HEADER = 3;
const TAG = 16;
const MAX_STR8 = 255;
export const MAX_URL = 2048;
export const MIN_SECRET_BYTES = 32;
/** Header, the largest field block (two UUIDs, five 255-byte strings, presence, a 2048-byte URL), tag. */
const MAX_BYTES = HEADER + 32 + 5 * (1 + MAX_STR8) + 1 + 2 + MAX_URL + TAG;
const MAX_CHARS = Math.floor((MAX_BYTES * 4 + 2) / 3);
/** Header, two UUIDs, three one-byte strings with their lengths, presence, tag. */
const MIN_BYTES = HEADER + 32 + 3 * 2 + 1 + TAG;
const BIT_LEAD = 1;
const BIT_STEP = 2;
const BIT_URL = 4;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The identifiers of one email. Optional ones are left out (or undefined/null), never empty. */
export interface EmailIds {
  tenant: string;
  user: string;
  campaign: string;
  mailbox: string;
  email: string;
  lead?: string | null | undefined;
  step?: string | null | undefined;
}

/** One key: its id (0..255) and secret (at least 32 bytes). */
export interface Key {
  id: number;
  secret: Buffer;
}

/** A deployment's keys; the first signs, all verify. */
export type KeyRing = readonly Key[];

// --- base64url, no padding, canonical --------------------------------------------------------

export function b64uEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Strict decoding (section 6): null when `s` is not the canonical spelling of any bytes. */
export function b64uDecode(s: string): Buffer | null {
  if (s.length % 4 === 1) {
    return null;
  }
  const out = Buffer.alloc(Math.floor((s.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B64.indexOf(s.charAt(i));
    if (v < 0) {
      return null;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return acc === 0 ? out : null; // leftover bits must be zero
}

// --- keys ------------------------------------------------------------------------------------

const KEY = /^(0|[1-9][0-9]{0,2}):([A-Za-z0-9_-]*)(={0,2})$/;

/** `<id>:<base64url secret>`, strictly (section 7). Throws an Error saying what is wrong, never showing the secret. */
export function parseKey(entry: string): Key {
  const m = KEY.exec(entry);
  if (m === null || Number(m[1]) > 255) {
    throw new Error("not <id>:<base64url secret> with an id 0..255 in plain decimal");
  }
  const body = m[2] as string;
  const pad = m[3] as string;
  if (pad.length > 0 && ((body.length + pad.length) % 4 !== 0 || body.length % 4 < 2)) {
    throw new Error(`key ${m[1]}: padding of the wrong length`);
  }
  const secret = b64uDecode(body);
  if (secret === null) {
    throw new Error(`key ${m[1]}: the secret is not canonical base64url`);
  }
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(`key ${m[1]}: the secret has ${secret.length} bytes, fewer than ${MIN_SECRET_BYTES}`);
  }
  return { id: Number(m[1]), secret };
}

/**
 * A comma-separated key list (section 7); spaces and tabs may surround an entry. Refuses the
 * whole list at the first bad entry, with an Error starting `entry N of M:`.
 */
export function parseKeyList(spec: string): KeyRing {
  const entries = spec.split(",");
  const ring: Key[] = [];
  entries.forEach((raw, i) => {
    const where = `entry ${i + 1} of ${entries.length}`;
    const entry = raw.replace(/^[ \t]+|[ \t]+$/g, "");
    if (entry === "") {
      throw new Error(`${where}: empty${i === entries.length - 1 && i > 0 ? " (a trailing comma?)" : entries.length > 1 ? " (two commas in a row?)" : ""}`);
    }
    let key: Key;
    try {
      key = parseKey(entry);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    if (ring.some((k) => k.id === key.id)) {
      throw new Error(`${where}: key id ${key.id} appears twice`);
    }
    ring.push(key);
  });
  return ring;
}

// --- the field block -------------------------------------------------------------------------

/** Null when `s` is text the edge stores (no U+0000, no lone surrogate), else why not. */
export function textProblem(s: string): string | null {
  if (s.includes("\0")) {
    return "contains U+0000 (NUL), which PostgreSQL text cannot hold";
  }
  return loneSurrogate(s);
}

/**
 * Null when `s` has a UTF-8 form, else why not. Buffer.from would write U+FFFD for a lone
 * surrogate, and the other signers write `?` or refuse: the signed bytes would depend on the signer.
 */
export function loneSurrogate(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) {
        return "contains a lone surrogate, which is not Unicode text";
      }
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return "contains a lone surrogate, which is not Unicode text";
    }
  }
  return null;
}

function refuseLoneSurrogate(url: string): void {
  const problem = loneSurrogate(url);
  if (problem !== null) {
    throw new Error(`url ${problem}`);
  }
}

/** True when `b` is well-formed UTF-8 (RFC 3629) without U+0000. */
function storable(b: Uint8Array): boolean {
  if (b.includes(0)) {
    return false;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function str8(value: string, name: string): Buffer {
  // the types forbid it, but nothing checks a JavaScript caller: a Buffer or a number failed deep
  // inside with a TypeError that named no field
  if (typeof value !== "string") {
    throw new Error(`${name} must be a string, got ${typeof value}`);
  }
  const problem = textProblem(value);
  if (problem !== null) {
    throw new Error(`${name} ${problem}`);
  }
  const b = Buffer.from(value, "utf8");
  if (b.length < 1 || b.length > MAX_STR8) {
    throw new Error(`${name} must be 1..${MAX_STR8} UTF-8 bytes, got ${b.length}`);
  }
  return Buffer.concat([Buffer.of(b.length), b]);
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

function uuidBytes(value: string, name: string): Buffer {
  if (typeof value !== "string" || !UUID_TEXT.test(value)) {
    throw new Error(`${name} is not a UUID: ${String(value)}`);
  }
  return Buffer.from(value.replace(/-/g, ""), "hex");
}

function present(v: string | null | undefined): v is string {
  return v !== undefined && v !== null;
}

/** The field block (section 3); `inlineUrl` only for kind 2. Throws an Error naming the field. */
export function encodeFields(ids: EmailIds, inlineUrl: string | null): Buffer {
  const parts = [uuidBytes(ids.tenant, "tenant"), uuidBytes(ids.user, "user"),
    str8(ids.campaign, "campaign"), str8(ids.mailbox, "mailbox"), str8(ids.email, "email")];
  const lead = present(ids.lead) ? str8(ids.lead, "lead") : null;
  const step = present(ids.step) ? str8(ids.step, "step") : null;
  parts.push(Buffer.of((lead ? BIT_LEAD : 0) | (step ? BIT_STEP : 0) | (inlineUrl !== null ? BIT_URL : 0)));
  if (lead) {
    parts.push(lead);
  }
  if (step) {
    parts.push(step);
  }
  if (inlineUrl !== null) {
    const u = Buffer.from(inlineUrl, "utf8");
    if (u.length < 1 || u.length > MAX_URL) {
      throw new Error(`url must be 1..${MAX_URL} bytes, got ${u.length}`);
    }
    const len = Buffer.alloc(2);
    len.writeUInt16BE(u.length);
    parts.push(len, u);
  }
  return Buffer.concat(parts);
}

/** Null when `b` is not exactly one well-formed block; else the inline URL's bytes (empty when none). */
function checkFields(b: Buffer): Buffer | null {
  let p = 32;
  const str = (): boolean => {
    if (p >= b.length) {
      return false;
    }
    const n = b[p] as number;
    if (n === 0 || p + 1 + n > b.length || !storable(b.subarray(p + 1, p + 1 + n))) {
      return false;
    }
    p += 1 + n;
    return true;
  };
  if (!str() || !str() || !str() || p >= b.length) {
    return null;
  }
  const presence = b[p++] as number;
  if ((presence & ~(BIT_LEAD | BIT_STEP | BIT_URL)) !== 0) {
    return null;
  }
  if ((presence & BIT_LEAD) !== 0 && !str()) {
    return null;
  }
  if ((presence & BIT_STEP) !== 0 && !str()) {
    return null;
  }
  let url: Buffer = Buffer.alloc(0);
  if ((presence & BIT_URL) !== 0) {
    if (p + 2 > b.length) {
      return null;
    }
    const n = b.readUInt16BE(p);
    if (n < 1 || n > MAX_URL || p + 2 + n > b.length) {
      return null;
    }
    url = b.subarray(p + 2, p + 2 + n);
    if (!storable(url)) {
      return null;
    }
    p += 2 + n;
  }
  return p === b.length ? url : null;
}

/** The identifiers of a block that {@link verify} accepted. */
export function decodeFields(b: Buffer): EmailIds {
  const hex = (x: Buffer): string => {
    const h = x.toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  let p = 32;
  const str = (): string => {
    const n = b[p] as number;
    const s = b.subarray(p + 1, p + 1 + n).toString("utf8");
    p += 1 + n;
    return s;
  };
  const ids: EmailIds = { tenant: hex(b.subarray(0, 16)), user: hex(b.subarray(16, 32)), campaign: str(), mailbox: str(), email: str() };
  const presence = b[p++] as number;
  if ((presence & BIT_LEAD) !== 0) {
    ids.lead = str();
  }
  if ((presence & BIT_STEP) !== 0) {
    ids.step = str();
  }
  return ids;
}

// --- destination URLs ------------------------------------------------------------------------

/**
 * Percent-encodes (upper-case hex) every UTF-8 byte <= 0x20 or >= 0x7f, leaving the rest (section 8).
 * Throws an Error starting `url ` for a lone surrogate, which has no UTF-8 bytes to encode.
 */
export function normalize(url: string): string {
  refuseLoneSurrogate(url);
  let out = "";
  for (const c of Buffer.from(url, "utf8")) {
    out += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : "%" + c.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Null when a click may go to `url` (section 8), else the reason it may not. */
export function urlPolicy(url: string): string | null {
  const lone = loneSurrogate(url);
  if (lone !== null) {
    return `URL ${lone}`;
  }
  const b = Buffer.from(url, "utf8");
  if (b.length === 0) {
    return "empty URL";
  }
  if (b.length > MAX_URL) {
    return `URL longer than ${MAX_URL} bytes`;
  }
  if (b.some((c) => c <= 0x20 || c >= 0x7f || c === 0x5c)) {
    return "URL contains a control, space, backslash or non-ASCII byte";
  }
  const low = url.slice(0, 8).toLowerCase();
  const rest = low.startsWith("https://") ? url.slice(8) : low.startsWith("http://") ? url.slice(7) : null;
  if (rest === null) {
    return "only http and https destinations are allowed";
  }
  const host = rest.split(/[/?#]/, 1)[0] as string;
  if (host.includes("@")) {
    return "user info in a destination URL is not allowed";
  }
  if (host === "" || host.startsWith(":")) {
    return "URL has no host";
  }
  return null;
}

/** application/x-www-form-urlencoded, spelt as java.net.URLEncoder does (the vectors' spelling). */
export function formEncode(s: string): string {
  let out = "";
  for (const c of Buffer.from(s, "utf8")) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9.\-*_]/.test(ch)) {
      out += ch;
    } else if (c === 0x20) {
      out += "+";
    } else {
      out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

/** Decodes a `u` value as the edge does; null on a bad `%` escape or a raw non-ASCII character. */
export function formDecode(s: string): Buffer | null {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) {
        return null;
      }
      out.push(parseInt(h, 16));
      i += 2;
    } else if (c >= 0x80) {
      return null;
    } else {
      out.push(c === 0x2b ? 0x20 : c);
    }
  }
  return Buffer.from(out);
}

// --- signing ---------------------------------------------------------------------------------

/** What {@link sign} made: the token and its parts, for tests against the vectors. */
export interface Signed {
  token: string;
  signed: Buffer;
  macInput: Buffer;
  tag: Buffer;
}

/**
 * Signs with the ring's first key. For clicks `url` is the (already normalized) destination;
 * it must pass {@link urlPolicy}. Throws an Error naming the field that cannot be signed.
 */
export function sign(ring: KeyRing, kind: Kind, ids: EmailIds, url: string | null = null): Signed {
  const key = ring[0];
  if (key === undefined) {
    throw new Error("no signing key");
  }
  if (kind !== OPEN && kind !== UNSUBSCRIBE) {
    if (url !== null) {
      refuseLoneSurrogate(url);
    }
    const reason = url === null ? "no destination" : urlPolicy(url);
    if (reason !== null) {
      throw new Error(`cannot sign ${String(url)}: ${reason}`);
    }
  }
  const signed = Buffer.concat([Buffer.of(VERSION, kind, key.id), encodeFields(ids, kind === CLICK ? url : null)]);
  const macInput = kind === CLICK_URL_IN_QUERY ? Buffer.concat([signed, Buffer.from(url as string, "ascii")]) : signed;
  const tag = createHmac("sha256", key.secret).update(macInput).digest().subarray(0, TAG);
  return { token: b64uEncode(Buffer.concat([signed, tag])), signed, macInput, tag };
}

/** The path after the base URL (section 9). */
export function pathFor(kind: Kind, token: string, url: string | null): string {
  if (kind === OPEN) {
    return `/o/${token}.gif`;
  }
  if (kind === UNSUBSCRIBE) {
    return `/u/${token}`;
  }
  if (kind === CLICK) {
    return `/c/${token}`;
  }
  return `/c/${token}?u=${formEncode(url as string)}`;
}

// --- verifying (what the edge does; for tests and tools) -------------------------------------

export type Reason = "ok" | "malformed" | "unknown_version" | "unknown_key" | "bad_signature" | "wrong_kind" | "url_mismatch";

interface Verified {
  reason: Reason;
  kind?: number;
  bytes?: Buffer;
}

/** Checks a token in the order of section 10; `queryUrl` is the decoded `u` (kind 3). */
export function verify(ring: KeyRing, token: string, queryUrl: Uint8Array = Buffer.alloc(0)): Verified {
  if (token.length > MAX_CHARS) {
    return { reason: "malformed" };
  }
  const t = b64uDecode(token);
  if (t === null || t.length < MIN_BYTES) {
    return { reason: "malformed" };
  }
  if (t[0] !== VERSION) {
    return { reason: "unknown_version" };
  }
  const kind = t[1] as number;
  if (kind !== OPEN && kind !== CLICK && kind !== CLICK_URL_IN_QUERY && kind !== UNSUBSCRIBE) {
    return { reason: "malformed" };
  }
  const key = ring.find((k) => k.id === t[2]);
  if (key === undefined) {
    return { reason: "unknown_key" };
  }
  const signed = t.subarray(0, t.length - TAG);
  const inline = checkFields(signed.subarray(HEADER));
  if (inline === null || (kind === CLICK) !== (inline.length > 0)) {
    return { reason: "malformed" };
  }
  const extra = kind === CLICK_URL_IN_QUERY ? queryUrl : Buffer.alloc(0);
  const expected = createHmac("sha256", key.secret).update(signed).update(extra).digest().subarray(0, TAG);
  if (!timingSafeEqual(expected, t.subarray(t.length - TAG))) {
    return { reason: "bad_signature" };
  }
  return { reason: "ok", kind, bytes: t };
}

/** What the edge decides for a request on `route` (section 10): "ok" or why it refuses. */
export function handle(ring: KeyRing, route: "open" | "click", token: string, queryUrl: string | null): Reason {
  // the pixel route never passes a URL to the verifier
  const u = route === "open" || queryUrl === null ? Buffer.alloc(0) : Buffer.from(queryUrl, "utf8");
  const v = verify(ring, token, u);
  if (v.reason !== "ok") {
    return v.reason;
  }
  if (route === "open") {
    return v.kind === OPEN ? "ok" : "wrong_kind";
  }
  if (v.kind === CLICK) {
    const bytes = v.bytes as Buffer;
    const inline = checkFields(bytes.subarray(HEADER, bytes.length - TAG)) as Buffer;
    return u.length === 0 || u.equals(inline) ? "ok" : "url_mismatch";
  }
  return v.kind === CLICK_URL_IN_QUERY && u.length > 0 ? "ok" : "wrong_kind";
}

/** Reads a request path as section 9 does: the route, the token and the decoded `u` (null when none). */
export function splitPath(path: string): { route: "open" | "click"; token: string; queryUrl: string | null } {
  const prefix = path.slice(0, 3);
  if (prefix !== "/o/" && prefix !== "/c/") {
    throw new Error(`not a tracking path: ${path}`);
  }
  const q = path.indexOf("?", 3);
  const token = q < 0 ? path.slice(3) : path.slice(3, q);
  if (prefix === "/o/") {
    return { route: "open", token: token.endsWith(".gif") ? token.slice(0, -4) : token, queryUrl: null };
  }
  let queryUrl: string | null = null;
  if (q >= 0 && q + 1 < path.length) {
    for (const param of path.slice(q + 1).split("&")) {
      const eq = param.indexOf("=");
      if (eq >= 0 && param.slice(0, eq) === "u") {
        const decoded = formDecode(param.slice(eq + 1));
        queryUrl = decoded === null ? null : decoded.toString("utf8");
        break;
      }
    }
  }
  return { route: "click", token, queryUrl };
}
