"""Signer and verifier for version-1 tracking tokens (docs/tracking-token.md), standard library only.

The functions follow the spec's sections: keys and key lists (7), the field block (3), the tag (5),
base64url (6), destination URLs (8), URL forms (9) and verification (10). A ring is a list of
(id, secret) pairs; the first signs. ``trackedge_signer.Signer`` wraps them for senders, and
``python3 -m trackedge_signer.vectors`` checks them against docs/tracking-token-vectors.json.
"""

import base64
import hashlib
import hmac
import re
import uuid

VERSION = 1
OPEN, CLICK, CLICK_URL_IN_QUERY, UNSUBSCRIBE = 1, 2, 3, 4
HEADER = 3
TAG = 16
MAX_STR8 = 255
MAX_URL = 2048
MIN_SECRET = 32
# Largest token: header, the largest field block (both UUIDs, five 255-byte strings, presence,
# a 2048-byte URL with its 2-byte length), tag.
MAX_BYTES = HEADER + 32 + 5 * (1 + MAX_STR8) + 1 + 2 + MAX_URL + TAG
MAX_CHARS = (MAX_BYTES * 4 + 2) // 3
# Smallest token: header, both UUIDs, three 1-byte strings with their lengths, presence, tag.
MIN_BYTES = HEADER + 32 + 3 * 2 + 1 + TAG

BIT_LEAD, BIT_STEP, BIT_URL = 1, 2, 4
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --- base64url, no padding, canonical -------------------------------------------------------

def b64u_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64u_decode(s):
    """Strict decoding: returns bytes, or None when s is not the canonical spelling of any bytes."""
    if len(s) % 4 == 1 or any(c not in B64_ALPHABET for c in s):
        return None
    out = bytearray()
    acc = bits = 0
    for c in s:
        acc = (acc << 6) | B64_ALPHABET.index(c)
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
            acc &= (1 << bits) - 1
    return bytes(out) if acc == 0 else None  # leftover bits must be zero


# --- keys -----------------------------------------------------------------------------------

KEY_RE = re.compile(r"(0|[1-9][0-9]{0,2}):([A-Za-z0-9_-]*)(={0,2})")


def parse_key(entry):
    """'<id>:<base64url secret>' -> (id, secret), strictly (spec section 7); ValueError otherwise."""
    m = KEY_RE.fullmatch(entry)
    if not m or int(m.group(1)) > 255:
        raise ValueError("not <id>:<base64url secret> with an id 0..255 in plain decimal")
    body, pad = m.group(2), m.group(3)
    if pad and ((len(body) + len(pad)) % 4 != 0 or len(body) % 4 < 2):
        raise ValueError("padding of the wrong length")
    secret = b64u_decode(body)
    if secret is None:
        raise ValueError("the secret is not canonical base64url")
    if len(secret) < MIN_SECRET:
        raise ValueError("the secret has %d bytes, fewer than %d" % (len(secret), MIN_SECRET))
    return int(m.group(1)), secret


def parse_ring(spec):
    """'<key>[,<key>...]' -> list of (id, secret); the first signs. Spaces and tabs may surround an
    entry; an empty entry or a repeated id is an error. Errors name the entry, counted from 1."""
    ring = []
    entries = spec.split(",")
    for n, part in enumerate(entries, 1):
        part = part.strip(" \t")
        try:
            if not part:
                raise ValueError("empty")
            kid, secret = parse_key(part)
            if any(k == kid for k, _ in ring):
                raise ValueError("key id %d appears twice" % kid)
        except ValueError as e:
            raise ValueError("entry %d of %d: %s" % (n, len(entries), e)) from None
        ring.append((kid, secret))
    return ring


# --- field block ----------------------------------------------------------------------------

def text_problem(s):
    """None when s is text the edge stores (no U+0000, no lone surrogate), else why not."""
    if "\x00" in s:
        return "contains U+0000 (NUL), which PostgreSQL text cannot hold"
    return lone_surrogate(s)


def lone_surrogate(s):
    """None when s has a UTF-8 form, else why not. A Python str holds code points, so every
    surrogate in it is lone (even two that would make a pair in UTF-16)."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        return "contains a lone surrogate, which is not Unicode text"
    return None


def storable(b):
    """True when b is well-formed UTF-8 (RFC 3629) without U+0000."""
    try:
        return b"\x00" not in b and b.decode("utf-8") is not None
    except UnicodeDecodeError:
        return False


def _str8(s, name):
    problem = text_problem(s)
    if problem:
        raise ValueError("%s %s" % (name, problem))
    b = s.encode("utf-8")
    if not 1 <= len(b) <= MAX_STR8:
        raise ValueError("%s must be 1..%d UTF-8 bytes" % (name, MAX_STR8))
    return bytes([len(b)]) + b


def encode_fields(f, inline_url=None):
    out = uuid.UUID(f["tenant"]).bytes + uuid.UUID(f["user"]).bytes
    for name in ("campaign", "mailbox", "email"):
        out += _str8(f[name], name)
    lead, step = f.get("lead"), f.get("step")
    out += bytes([(BIT_LEAD if lead is not None else 0) | (BIT_STEP if step is not None else 0)
                  | (BIT_URL if inline_url is not None else 0)])
    if lead is not None:
        out += _str8(lead, "lead")
    if step is not None:
        out += _str8(step, "step")
    if inline_url is not None:
        u = inline_url.encode("utf-8")
        if not 1 <= len(u) <= MAX_URL:
            raise ValueError("url must be 1..%d bytes" % MAX_URL)
        out += len(u).to_bytes(2, "big") + u
    return out


def check_fields(b):
    """None when b is not exactly one well-formed block, else the inline URL (bytes) or b''."""
    p = 32
    for _ in range(3):
        if p >= len(b) or b[p] == 0 or not storable(b[p + 1:p + 1 + b[p]]):
            return None
        p += 1 + b[p]
    if p >= len(b):
        return None
    presence = b[p]
    p += 1
    if presence & ~(BIT_LEAD | BIT_STEP | BIT_URL):
        return None
    for bit in (BIT_LEAD, BIT_STEP):
        if presence & bit:
            if p >= len(b) or b[p] == 0 or p + 1 + b[p] > len(b) or not storable(b[p + 1:p + 1 + b[p]]):
                return None
            p += 1 + b[p]
    url = b""
    if presence & BIT_URL:
        if p + 2 > len(b):
            return None
        n = int.from_bytes(b[p:p + 2], "big")
        url = b[p + 2:p + 2 + n]
        if not 1 <= n <= MAX_URL or not storable(url):
            return None
        p += 2 + n
    return url if p == len(b) else None


def decode_fields(b):
    f = {"tenant": str(uuid.UUID(bytes=b[0:16])), "user": str(uuid.UUID(bytes=b[16:32]))}
    p = 32

    def str8():
        nonlocal p
        n = b[p]
        s = b[p + 1:p + 1 + n].decode("utf-8")
        p += 1 + n
        return s

    for name in ("campaign", "mailbox", "email"):
        f[name] = str8()
    presence = b[p]
    p += 1
    if presence & BIT_LEAD:
        f["lead"] = str8()
    if presence & BIT_STEP:
        f["step"] = str8()
    return f


# --- URLs -----------------------------------------------------------------------------------

def normalize(url):
    """Percent-encodes bytes <= 0x20 and >= 0x7f (upper-case hex), as UrlPolicy.normalize.
    A lone surrogate has no bytes to encode: ValueError starting 'url ', as the other signers."""
    _refuse_lone_surrogate(url)
    return "".join(chr(c) if 0x20 < c < 0x7F else "%%%02X" % c for c in url.encode("utf-8"))


def _refuse_lone_surrogate(url):
    problem = lone_surrogate(url)
    if problem:
        raise ValueError("url " + problem)


def url_policy(url):
    """None when the signer may sign url and the edge may redirect to it, else the reason."""
    problem = lone_surrogate(url)
    if problem:
        return problem
    b = url.encode("utf-8")
    if not b:
        return "empty URL"
    if len(b) > MAX_URL:
        return "too long"
    if any(c <= 0x20 or c >= 0x7F or c == 0x5C for c in b):
        return "control, space, backslash or non-ASCII byte"
    low = url[:8].lower()
    if low.startswith("https://"):
        rest = url[8:]
    elif low.startswith("http://"):
        rest = url[7:]
    else:
        return "only http and https"
    host = rest
    for stop in "/?#":
        host = host.split(stop, 1)[0]
    if "@" in host:
        return "user info"
    if host == "" or host.startswith(":"):
        return "no host"
    return None


def form_encode(s):
    """application/x-www-form-urlencoded, spelt exactly as java.net.URLEncoder does."""
    out = []
    for c in s.encode("utf-8"):
        ch = chr(c)
        if ch.isascii() and (ch.isalnum() or ch in ".-*_"):
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append("%%%02X" % c)
    return "".join(out)


def form_decode(s):
    """Decodes a u= value as the edge does; None on bad percent-encoding or raw non-ASCII."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            h = s[i + 1:i + 3]
            if len(h) < 2 or any(x not in "0123456789abcdefABCDEF" for x in h):
                return None
            out.append(int(h, 16))
            i += 3
            continue
        if ord(c) >= 0x80:
            return None
        out.append(0x20 if c == "+" else ord(c))
        i += 1
    return bytes(out)


# --- signing and verifying ------------------------------------------------------------------

def sign(ring, kind, fields, url=None):
    """Returns (token, signed bytes, MAC input, tag). The first key of the ring signs."""
    kid, secret = ring[0]
    if kind not in (OPEN, UNSUBSCRIBE):
        _refuse_lone_surrogate(url)
        reason = url_policy(url)
        if reason:
            raise ValueError("cannot sign %s: %s" % (url, reason))
    signed = bytes([VERSION, kind, kid]) + encode_fields(fields, url if kind == CLICK else None)
    mac_input = signed + (url.encode("ascii") if kind == CLICK_URL_IN_QUERY else b"")
    tag = hmac.new(secret, mac_input, hashlib.sha256).digest()[:TAG]
    return b64u_encode(signed + tag), signed, mac_input, tag


def verify(ring, token, query_url=b""):
    """Returns ('ok', kind, decoded bytes) or (reason, None, None); checks in the spec's order."""
    keys = dict(ring)
    if len(token) > MAX_CHARS:
        return "malformed", None, None
    t = b64u_decode(token)
    if t is None or len(t) < MIN_BYTES:
        return "malformed", None, None
    if t[0] != VERSION:
        return "unknown_version", None, None
    kind = t[1]
    if kind not in (OPEN, CLICK, CLICK_URL_IN_QUERY, UNSUBSCRIBE):
        return "malformed", None, None
    if t[2] not in keys:
        return "unknown_key", None, None
    signed = t[:-TAG]
    inline = check_fields(signed[HEADER:])
    if inline is None or (kind == CLICK) != (inline != b""):
        return "malformed", None, None
    extra = query_url if kind == CLICK_URL_IN_QUERY else b""
    expected = hmac.new(keys[t[2]], signed + extra, hashlib.sha256).digest()[:TAG]
    if not hmac.compare_digest(expected, t[-TAG:]):
        return "bad_signature", None, None
    return "ok", kind, t


def handle(ring, route, token, query_url=None):
    """What the edge decides for a request: 'ok' or why the token is refused."""
    u = b"" if query_url is None else query_url.encode("utf-8")
    if route == "open":
        u = b""  # the pixel route never passes a URL to the verifier
    reason, kind, t = verify(ring, token, u)
    if reason != "ok":
        return reason
    if route == "open":
        return "ok" if kind == OPEN else "wrong_kind"
    if kind == CLICK:
        inline = check_fields(t[HEADER:-TAG])
        return "ok" if not u or u == inline else "url_mismatch"
    if kind == CLICK_URL_IN_QUERY and u:
        return "ok"
    return "wrong_kind"


def path_for(kind, token, url):
    if kind == OPEN:
        return "/o/" + token + ".gif"
    if kind == UNSUBSCRIBE:
        return "/u/" + token
    if kind == CLICK:
        return "/c/" + token
    return "/c/" + token + "?u=" + form_encode(url)


def split_path(path):
    """'/o/<token>.gif[?...]' or '/c/<token>[?...]' -> (route, token, decoded u or None), as section 9
    reads a request: the query starts at the first '?'; only '&' separates parameters; the first
    parameter named exactly 'u' (before decoding) and followed by '=' is u, even when empty. On
    /o/, a path without the lower-case '.gif' suffix leaves the suffix in the token, which then
    fails to decode."""
    route = {"/o/": "open", "/c/": "click"}[path[:3]]
    token, _, query = path[3:].partition("?")
    if route == "open":
        return route, token[:-4] if token.endswith(".gif") else token, None
    u = None
    for param in query.split("&") if query else []:
        name, eq, value = param.partition("=")
        if name == "u" and eq:
            u = form_decode(value).decode("utf-8")
            break
    return route, token, u
