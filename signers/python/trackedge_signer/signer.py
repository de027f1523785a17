"""The sender's entry point: signed pixel and click URLs for one tracking domain."""

import uuid

from . import token as st


class Signer:
    """Signs pixel and click URLs with a deployment's key list (spec section 7; the first key signs).

    The identifiers of an email are a dict with ``tenant`` and ``user`` (UUIDs, as text or
    ``uuid.UUID``), ``campaign``, ``mailbox``, ``email`` and optionally ``lead`` and ``step``
    (str; left out or None when absent). Every method refuses, with a ValueError naming the field,
    what the edge would refuse: values that are not text, empty or too long fields, U+0000 or lone
    surrogates, destinations outside the URL policy. Immutable; share one instance.

        signer = Signer("https://t.example.com", os.environ["EDGE_SIGNING_KEYS"])
        ids = {"tenant": tenant, "user": user, "campaign": "spring", "mailbox": "sales@acme.example", "email": "msg-1"}
        pixel = signer.pixel_url(ids)
        link = signer.click_url(ids, "https://shop.example/offer")
    """

    def __init__(self, base_url, key_list):
        """base_url: the edge's public scheme and host, e.g. https://t.example.com.
        key_list: '<id>:<base64url secret>[,...]'; a ValueError names the bad entry, never a secret."""
        self._base = base_url[:-1] if base_url.endswith("/") else base_url
        self._ring = st.parse_ring(key_list)

    @property
    def base_url(self):
        return self._base

    @property
    def key_id(self):
        """The id of the key that signs."""
        return self._ring[0][0]

    def pixel_url(self, ids):
        """<base>/o/<token>.gif"""
        return self._base + st.path_for(st.OPEN, self._sign(st.OPEN, ids, None), None)

    def click_url(self, ids, destination):
        """<base>/c/<token>?u=<destination>: the destination readable in the link, bound by the MAC.
        The destination is normalized first (bytes <= 0x20 or >= 0x7f percent-encoded)."""
        url = st.normalize(destination)
        return self._base + st.path_for(st.CLICK_URL_IN_QUERY, self._sign(st.CLICK_URL_IN_QUERY, ids, url), url)

    def click_url_inline(self, ids, destination):
        """<base>/c/<token>, the normalized destination inside the token."""
        url = st.normalize(destination)
        return self._base + st.path_for(st.CLICK, self._sign(st.CLICK, ids, url), url)

    def _sign(self, kind, ids, url):
        return st.sign(self._ring, kind, _as_text(ids), url)[0]

    def __repr__(self):
        return "Signer(%r, key %d)" % (self._base, self.key_id)


def _as_text(ids):
    """The identifiers as the str the token holds; None leaves a field out. Anything but str (and
    uuid.UUID for tenant and user) is refused rather than passed through str(), which would sign
    b'msg-1' for the bytes b"msg-1", as the Node signer refuses a non-string."""
    fields = {}
    for name, v in ids.items():
        if v is None:
            continue
        if name in ("tenant", "user"):
            if isinstance(v, uuid.UUID):
                v = str(v)
            elif not isinstance(v, str):
                raise ValueError("%s must be a UUID as str or uuid.UUID, got %s" % (name, type(v).__name__))
        elif not isinstance(v, str):
            raise ValueError("%s must be a str, got %s" % (name, type(v).__name__))
        fields[name] = v
    return fields
