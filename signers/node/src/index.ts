/**
 * @trackedge/signer: signs trackedge pixel and click URLs (docs/tracking-token.md), node:crypto only.
 *
 *     import { Signer } from "@trackedge/signer";
 *     const signer = new Signer("https://t.example.com", process.env.EDGE_SIGNING_KEYS!);
 *     const pixel = signer.pixelUrl({ tenant, user, campaign: "spring", mailbox: "sales@acme.example", email: "msg-1" });
 */
export { Signer } from "./signer.js";
export {
  CLICK, CLICK_URL_IN_QUERY, OPEN, formEncode, normalize, parseKeyList, pathFor, sign, splitPath, handle, verify, urlPolicy,
} from "./token.js";
export type { EmailIds, Key, KeyRing, Kind, Reason, Signed } from "./token.js";
