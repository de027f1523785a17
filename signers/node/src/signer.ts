import { CLICK, CLICK_URL_IN_QUERY, type EmailIds, type KeyRing, OPEN, normalize, parseKeyList, pathFor, sign } from "./token.js";

/**
 * The sender's entry point: signed pixel and click URLs for one tracking domain, with the
 * deployment's key list (docs/tracking-token.md, section 7; the first key signs). Immutable;
 * make one at start and share it.
 *
 * Every method throws an Error naming the field when the edge would refuse what it signs: a value
 * that is not a string, empty or too long fields (over 255 UTF-8 bytes), U+0000 or a lone
 * surrogate, a destination outside the URL policy (section 8).
 */
export class Signer {
  readonly baseUrl: string;
  readonly #ring: KeyRing;

  /**
   * @param baseUrl the edge's public scheme and host, e.g. `https://t.example.com`
   * @param keyList `<id>:<base64url secret>[,...]`; an Error names the bad entry, never a secret
   */
  constructor(baseUrl: string, keyList: string) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl;
    this.#ring = parseKeyList(keyList);
  }

  /** The id of the key that signs. */
  get keyId(): number {
    return (this.#ring[0] as { id: number }).id;
  }

  /** `<base>/o/<token>.gif` */
  pixelUrl(ids: EmailIds): string {
    return this.baseUrl + pathFor(OPEN, sign(this.#ring, OPEN, ids).token, null);
  }

  /**
   * `<base>/c/<token>?u=<destination>`: the destination readable in the link and bound by the
   * MAC. It is normalized first (bytes <= 0x20 or >= 0x7f percent-encoded).
   */
  clickUrl(ids: EmailIds, destination: string): string {
    const url = normalize(destination);
    return this.baseUrl + pathFor(CLICK_URL_IN_QUERY, sign(this.#ring, CLICK_URL_IN_QUERY, ids, url).token, url);
  }

  /** `<base>/c/<token>`, the normalized destination inside the token. */
  clickUrlInline(ids: EmailIds, destination: string): string {
    const url = normalize(destination);
    return this.baseUrl + pathFor(CLICK, sign(this.#ring, CLICK, ids, url).token, url);
  }

  toString(): string {
    return `Signer(${this.baseUrl}, key ${this.keyId})`;
  }
}
