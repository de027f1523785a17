#!/usr/bin/env python3
"""Reference signer and verifier for version-1 tracking tokens (docs/tracking-token.md).

The code is the installable package in signers/python (trackedge_signer, standard library only);
this script keeps the old entry point and module name. Run it to check the package against the
test vectors, one line per vector, status 1 if anything differs:

    python3 docs/examples/sign_token.py [docs/tracking-token-vectors.json]

Imported (``import sign_token``), it offers the spec's functions: parse_ring, sign, verify, handle,
normalize, url_policy, ...
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "signers", "python"))

from trackedge_signer.token import *  # noqa: E402,F401,F403  (the spec's functions, under their old names)
from trackedge_signer.vectors import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv))
