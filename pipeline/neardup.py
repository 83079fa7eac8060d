"""Near-duplicate fingerprints: a MinHash signature over character shingles of a body.

Two texts whose shingle sets overlap by at least THRESHOLD (estimated Jaccard similarity)
are near-duplicates: a corrected typo or an appended line keeps a 2,000-character text
above 0.9, while different texts on one topic share far fewer 5-character shingles.

The signature is one-permutation MinHash (Li, Owen & Zhang 2012): every shingle is hashed
once, the hash's top bits pick one of BINS bins and each bin keeps its smallest value.
Computed with NumPy over the whole body at once it costs well under a millisecond a page;
datasketch hashes shingle by shingle in Python and its import pulls in SciPy (60 MB),
which the archive worker's memory budget cannot spare.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

BINS = 64
SHINGLE = 5
THRESHOLD = 0.8
BANDS = 16  # 16 bands of 4 rows: pairs above ~0.5 become candidates, then are verified
ROWS = BINS // BANDS

Signature = npt.NDArray[np.uint64]
_BIN_SHIFT = np.uint64(64 - 6)  # 2**6 == BINS
_VALUE_MASK = np.uint64((1 << 58) - 1)
EMPTY = np.uint64(1 << 63)  # a bin no shingle fell into


def shingle_hashes(body: str, size: int = SHINGLE) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of every `size`-character shingle of `body`, white space ignored."""
    text = "".join(body.split())
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    count = max(len(points) - size + 1, 1 if len(points) else 0)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(min(size, len(points))):
        hashes = hashes * np.uint64(1_000_003) + points[offset : offset + count]
    return _mix(hashes)


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # splitmix64's finaliser: spreads similar shingles over all 64 bits
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def signature(body: str) -> Signature:
    hashes = shingle_hashes(body)
    result = np.full(BINS, EMPTY, dtype=np.uint64)
    np.minimum.at(result, (hashes >> _BIN_SHIFT).astype(np.intp), hashes & _VALUE_MASK)
    return result


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets (bins empty in both ignored)."""
    both_empty = (a == EMPTY) & (b == EMPTY)
    counted = BINS - int(both_empty.sum())
    if counted == 0:
        return 1.0
    return float(((a == b) & ~both_empty).sum()) / counted


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u8").tobytes()


def from_bytes(raw: bytes) -> Signature:
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


class BandIndex:
    """Locality-sensitive hashing by bands: finds the signatures likely to be similar."""

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold
        self.buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(BANDS)]
        self.signatures: dict[int, Signature] = {}

    def add(self, key: int, sig: Signature) -> None:
        self.signatures[key] = sig
        for band, bucket in zip(_bands(sig), self.buckets, strict=True):
            bucket[band].append(key)

    def near(self, sig: Signature) -> list[int]:
        """Keys of indexed signatures at least `threshold` similar to `sig`."""
        candidates = self._candidates(sig)
        return sorted(
            k for k in candidates if similarity(sig, self.signatures[k]) >= self.threshold
        )

    def _candidates(self, sig: Signature) -> set[int]:
        found: set[int] = set()
        for band, bucket in zip(_bands(sig), self.buckets, strict=True):
            found.update(bucket.get(band, ()))
        return found


def band_keys(sig: Signature) -> list[int]:
    """Each band of `sig` hashed to a signed 64-bit integer (a database key)."""
    return [
        int.from_bytes(hashlib.blake2b(band, digest_size=8).digest(), "little", signed=True)
        for band in _bands(sig)
    ]


def _bands(sig: Signature) -> Iterable[bytes]:
    raw = to_bytes(sig)
    width = ROWS * 8
    return (raw[i * width : (i + 1) * width] for i in range(BANDS))
