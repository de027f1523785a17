// Every vector of docs/tracking-token-vectors.json through this package: valid vectors signed
// byte for byte (token, signed bytes, MAC input, tag, path, and the Signer's URL), invalid ones
// refused for their reason, accepted paths read as their vector, the strings a signer must refuse,
// and every key list.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CLICK, CLICK_URL_IN_QUERY, OPEN, type EmailIds, type Kind, Signer, handle, normalize, parseKeyList, pathFor, sign, splitPath } from "../src/index.js";
import { decodeFields, verify } from "../src/token.js";

function findVectors(): string {
  const env = process.env["TRACKEDGE_VECTORS"];
  if (env) {
    return env;
  }
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const f = join(d, "docs", "tracking-token-vectors.json");
    if (existsSync(f)) {
      return f;
    }
    if (dirname(d) === d) {
      throw new Error("docs/tracking-token-vectors.json not found; set TRACKEDGE_VECTORS");
    }
  }
}

interface Valid { name: string; key_id: number; kind: Kind; fields: EmailIds; destination?: string; url?: string;
  signed_hex: string; mac_input_hex?: string; tag_hex: string; token: string; path: string }
interface Invalid { name: string; route: "open" | "click"; token: string; query_url?: string; path: string; reason: string }
interface Accepted { name: string; vector: string; route: "open" | "click"; token: string; query_url?: string; path: string }
interface Refused { name: string; kind: Kind; fields: EmailIds; url?: string; field: string }
interface KeyListVector { name: string; spec: string; ids?: number[]; entry?: number }
interface Vectors { base_url: string; keys: { id: number; secret_hex: string; spec: string }[]; verify_ring: string;
  valid: Valid[]; invalid: Invalid[]; accepted: Accepted[]; refused_by_signer: Refused[]; key_lists: KeyListVector[];
  unsubscribe?: Valid[] }

const FILE = resolve(findVectors());
const V = JSON.parse(readFileSync(FILE, "utf8")) as Vectors;
const SPEC = new Map(V.keys.map((k) => [k.id, k.spec]));
const RING = parseKeyList(V.verify_ring);
const ringOf = (id: number) => parseKeyList(SPEC.get(id) as string);

describe(`vectors (${FILE})`, () => {
  it("has every section", () => {
    assert.ok(V.valid.length >= 12 && V.invalid.length > 0 && V.accepted.length > 0
      && V.refused_by_signer.length > 0 && V.key_lists.length > 0);
    for (const k of V.keys) {
      const ring = parseKeyList(k.spec);
      assert.equal(ring[0]?.id, k.id);
      assert.equal(ring[0]?.secret.toString("hex"), k.secret_hex);
    }
  });

  describe("valid: signed byte for byte", () => {
    for (const v of V.valid) {
      it(v.name, () => {
        const url = v.url ?? null;
        if (url !== null) {
          assert.equal(normalize(v.destination as string), url, "normalize");
        }
        const s = sign(ringOf(v.key_id), v.kind, v.fields, url);
        assert.equal(s.token, v.token, "token");
        assert.equal(s.signed.toString("hex"), v.signed_hex, "signed_hex");
        if (v.kind === CLICK_URL_IN_QUERY) {
          assert.equal(s.macInput.toString("hex"), v.mac_input_hex, "mac_input_hex");
        }
        assert.equal(s.tag.toString("hex"), v.tag_hex, "tag_hex");
        assert.equal(pathFor(v.kind, s.token, url), v.path, "path");
        const signer = new Signer(V.base_url, SPEC.get(v.key_id) as string);
        const made = v.kind === OPEN ? signer.pixelUrl(v.fields)
          : v.kind === CLICK ? signer.clickUrlInline(v.fields, v.destination as string)
            : signer.clickUrl(v.fields, v.destination as string);
        assert.equal(made, V.base_url + v.path, "Signer URL");
        const route = v.kind === OPEN ? "open" : "click";
        const query = v.kind === CLICK_URL_IN_QUERY ? url : null;
        assert.equal(handle(RING, route, v.token, query), "ok", "verify");
        const verified = verify(RING, v.token, Buffer.from(query ?? "", "ascii"));
        const bytes = verified.bytes as Buffer;
        assert.deepEqual(decodeFields(bytes.subarray(3, bytes.length - 16)), v.fields, "decoded fields");
      });
    }
  });

  describe("unsubscribe: kind 4 signed byte for byte", () => {
    for (const v of V.unsubscribe ?? []) {
      it(v.name, () => {
        const s = sign(ringOf(v.key_id), v.kind, v.fields, null);
        assert.equal(s.token, v.token, "token");
        assert.equal(s.signed.toString("hex"), v.signed_hex, "signed_hex");
        assert.equal(s.tag.toString("hex"), v.tag_hex, "tag_hex");
        assert.equal(pathFor(v.kind, s.token, null), v.path, "path");
        assert.equal(handle(RING, "open", v.token, null), "wrong_kind", "never an open");
      });
    }
  });

  describe("invalid: refused for their reason", () => {
    for (const v of V.invalid) {
      it(v.name, () => {
        const p = splitPath(v.path);
        assert.deepEqual(p, { route: v.route, token: v.token, queryUrl: v.query_url ?? null }, "path");
        assert.equal(handle(RING, p.route, p.token, p.queryUrl), v.reason);
      });
    }
  });

  describe("accepted: read as their vector", () => {
    const valid = new Map(V.valid.map((v) => [v.name, v]));
    for (const v of V.accepted) {
      it(v.name, () => {
        const p = splitPath(v.path);
        assert.deepEqual(p, { route: v.route, token: v.token, queryUrl: v.query_url ?? null }, "path");
        assert.equal(handle(RING, p.route, p.token, p.queryUrl), "ok");
        assert.equal(p.token, valid.get(v.vector)?.token);
      });
    }
  });

  describe("refused_by_signer: refused, naming the field", () => {
    const signer = new Signer(V.base_url, SPEC.get(1) as string);
    for (const v of V.refused_by_signer) {
      it(v.name, () => {
        assert.throws(() => sign(ringOf(1), v.kind, v.fields, v.url ?? null), (e: Error) => e.message.startsWith(`${v.field} `));
        assert.throws(() => v.kind === OPEN ? signer.pixelUrl(v.fields)
          : v.kind === CLICK ? signer.clickUrlInline(v.fields, v.url as string) : signer.clickUrl(v.fields, v.url as string),
        (e: Error) => e.message.startsWith(`${v.field} `));
      });
    }
  });

  describe("key_lists: read, or refused at their entry without showing a secret", () => {
    const secrets = V.keys.map((k) => k.spec.slice(k.spec.indexOf(":") + 1));
    for (const v of V.key_lists) {
      it(v.name, () => {
        if (v.ids !== undefined) {
          assert.deepEqual(parseKeyList(v.spec).map((k) => k.id), v.ids);
        } else {
          assert.throws(() => new Signer(V.base_url, v.spec), (e: Error) =>
            e.message.startsWith(`entry ${v.entry} of`) && secrets.every((s) => !e.message.includes(s)));
        }
      });
    }
  });
});

describe("Signer", () => {
  const signer = new Signer("https://t.example.com/", SPEC.get(1) as string);
  const ids: EmailIds = { tenant: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", user: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    campaign: "c", mailbox: "m", email: "e", lead: null, step: undefined };

  it("drops a trailing slash of the base URL and leaves out null or undefined lead and step", () => {
    assert.equal(signer.pixelUrl(ids), V.base_url + (V.valid.find((v) => v.name === "open-minimal") as Valid).path);
  });

  it("refuses a destination outside the URL policy", () => {
    assert.throws(() => signer.clickUrl(ids, "javascript:alert(1)"), /only http and https/);
    assert.throws(() => signer.clickUrl(ids, "https://user@x.example/"), /user info/);
  });

  it("refuses an identifier that is not a UUID, naming it", () => {
    assert.throws(() => signer.pixelUrl({ ...ids, tenant: "not-a-uuid" }), /^Error: tenant is not a UUID/);
  });

  it("refuses an identifier that is not a string, naming it", () => {
    // as the Python signer does: a JavaScript caller passes what it likes
    const bad = (extra: Record<string, unknown>) => ({ ...ids, ...extra }) as unknown as EmailIds;
    assert.throws(() => signer.pixelUrl(bad({ email: Buffer.from("msg-1") })), /^Error: email must be a string, got object$/);
    assert.throws(() => signer.clickUrl(bad({ step: 3 }), "https://x.example/"), /^Error: step must be a string, got number$/);
    assert.throws(() => signer.clickUrlInline(bad({ lead: true }), "https://x.example/"), /^Error: lead must be a string, got boolean$/);
  });
});
