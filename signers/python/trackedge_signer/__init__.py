"""Signs tracking pixel and click URLs for a trackedge edge (docs/tracking-token.md).

Standard library only. ``Signer`` is what a sender needs; ``trackedge_signer.token`` holds the
spec's functions (signing, verifying, key lists, the URL policy), and
``python3 -m trackedge_signer.vectors`` checks them against the test vectors.
"""

from .signer import Signer
from .token import normalize, parse_ring, url_policy

__all__ = ["Signer", "normalize", "parse_ring", "url_policy"]
__version__ = "0.1.0"
