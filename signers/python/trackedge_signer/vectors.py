"""Checks this package against the test vectors (docs/tracking-token-vectors.json).

    python3 -m trackedge_signer.vectors [path/to/tracking-token-vectors.json]

It signs every valid vector and compares token, signed bytes, tag and URL path with the file,
verifies every valid vector, checks that every invalid vector is rejected for the expected
reason, that every accepted path is read as its vector, that the signer refuses the strings of
refused_by_signer, and that each key list parses (or fails at the stated entry) as listed. It
prints one line per vector and exits with status 1 if anything differs.
"""

import json
import os
import sys

from . import token as st
from .signer import Signer

SECTIONS = ("valid", "invalid", "accepted", "refused_by_signer", "key_lists")


def find_vectors(start=None):
    """The vectors file: $TRACKEDGE_VECTORS, else docs/tracking-token-vectors.json in the first
    folder above start (default: the working directory), then above this file, that has one."""
    env = os.environ.get("TRACKEDGE_VECTORS")
    if env:
        return env
    for top in (start or os.getcwd(), os.path.dirname(os.path.abspath(__file__))):
        d = os.path.abspath(top)
        while True:
            f = os.path.join(d, "docs", "tracking-token-vectors.json")
            if os.path.isfile(f):
                return f
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    raise FileNotFoundError("docs/tracking-token-vectors.json not found; set TRACKEDGE_VECTORS")


def load(path=None):
    with open(path or find_vectors(), encoding="utf-8") as f:
        return json.load(f)


def check(vectors):
    """Yields (section, name, ok, detail) for every vector of every section."""
    keys = {k["id"]: bytes.fromhex(k["secret_hex"]) for k in vectors["keys"]}
    specs = {k["id"]: k["spec"] for k in vectors["keys"]}
    for k in vectors["keys"]:
        assert st.parse_ring(k["spec"]) == [(k["id"], keys[k["id"]])], k["spec"]
    ring = st.parse_ring(vectors["verify_ring"])
    base = vectors["base_url"]

    for v in vectors["valid"]:
        kind = v["kind"]
        url = v.get("url")
        problems = []
        if url is not None and st.normalize(v["destination"]) != url:
            problems.append("normalize")
        token, signed, mac_input, tag = st.sign([(v["key_id"], keys[v["key_id"]])], kind, v["fields"], url)
        if token != v["token"]:
            problems.append("token")
        if signed.hex() != v["signed_hex"]:
            problems.append("signed_hex")
        if kind == st.CLICK_URL_IN_QUERY and mac_input.hex() != v["mac_input_hex"]:
            problems.append("mac_input_hex")
        if tag.hex() != v["tag_hex"]:
            problems.append("tag_hex")
        if st.path_for(kind, token, url) != v["path"]:
            problems.append("path")
        signer = Signer(base, specs[v["key_id"]])
        made = (signer.pixel_url(v["fields"]) if kind == st.OPEN
                else signer.click_url_inline(v["fields"], v["destination"]) if kind == st.CLICK
                else signer.click_url(v["fields"], v["destination"]))
        if made != base + v["path"]:
            problems.append("Signer URL")
        route = "open" if kind == st.OPEN else "click"
        query = url if kind == st.CLICK_URL_IN_QUERY else None
        if st.handle(ring, route, v["token"], query) != "ok":
            problems.append("verify")
        else:
            _, _, t = st.verify(ring, v["token"], (query or "").encode())
            if st.decode_fields(t[st.HEADER:-st.TAG]) != v["fields"]:
                problems.append("decoded fields")
        yield "valid", v["name"], not problems, ", ".join(problems) or token[:48] + ("..." if len(token) > 48 else "")

    for v in vectors["invalid"]:
        route, token, query = st.split_path(v["path"])
        if (route, token, query) != (v["route"], v["token"], v.get("query_url")):
            yield "invalid", v["name"], False, "path read as %r" % ((route, token, query),)
            continue
        got = st.handle(ring, route, token, query)
        yield "invalid", v["name"], got == v["reason"], "rejected: " + got + (
            "" if got == v["reason"] else " (expected %s)" % v["reason"])

    valid = {v["name"]: v for v in vectors["valid"]}
    for v in vectors.get("accepted", []):
        route, token, query = st.split_path(v["path"])
        if (route, token, query) != (v["route"], v["token"], v.get("query_url")):
            yield "accepted", v["name"], False, "path read as %r" % ((route, token, query),)
            continue
        got = st.handle(ring, route, token, query)
        same = got == "ok" and token == valid[v["vector"]]["token"]
        yield "accepted", v["name"], same, "accepted as " + v["vector"] if same else "refused: " + got

    signer = Signer(base, specs[1])
    for v in vectors.get("refused_by_signer", []):
        kind, fields, url = v["kind"], v["fields"], v.get("url")
        # both the spec's sign and the Signer a sender calls, which normalizes the URL first
        attempts = (lambda: st.sign([(1, keys[1])], kind, fields, url),
                    lambda: (signer.pixel_url(fields) if kind == st.OPEN
                             else signer.click_url_inline(fields, url) if kind == st.CLICK
                             else signer.click_url(fields, url)))
        ok, details = True, []
        for attempt in attempts:
            try:
                attempt()
                ok = False
                details.append("signed")
            except ValueError as e:
                # UnicodeEncodeError is a ValueError too, but says nothing about which field
                named = str(e).startswith(v["field"] + " ") and not isinstance(e, UnicodeError)
                ok = ok and named
                details.append("refused: " + str(e))
        yield "refused_by_signer", v["name"], ok, "; ".join(dict.fromkeys(details))

    for v in vectors.get("key_lists", []):
        try:
            ids = [k for k, _ in st.parse_ring(v["spec"])]
            yield "key_lists", v["name"], ids == v.get("ids"), "ids %s" % ids
        except ValueError as e:
            ok = "ids" not in v and str(e).startswith("entry %d of" % v["entry"])
            yield "key_lists", v["name"], ok, "refused: " + str(e)


def main(argv):
    vectors = load(argv[1] if len(argv) > 1 else None)
    failures = 0
    for _, name, ok, detail in check(vectors):
        failures += 0 if ok else 1
        print("%s %-36s %s" % ("PASS" if ok else "FAIL", name, detail))
    total = sum(len(vectors.get(k, [])) for k in SECTIONS)
    print("%d of %d vectors as expected" % (total - failures, total))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
