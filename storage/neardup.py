"""Linking near-duplicate documents (kind `near_duplicate`), never merging them.

Each document's signature (pipeline.neardup) is stored with its bands hashed into
`document_bands`; a new document's candidates are the documents sharing a band with it
(one indexed query per batch), kept when their estimated similarity reaches the threshold.
Nothing is held in memory between batches, however large the archive grows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.neardup import (
    THRESHOLD,
    BandIndex,
    Signature,
    band_keys,
    from_bytes,
    signature,
    similarity,
    to_bytes,
)
from storage.archive import insert_ignoring_conflicts
from storage.models import DocumentBand, DocumentLink, DocumentSignature


class NearDuplicateIndex:
    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold

    def add(self, session: Session, bodies: dict[int, str]) -> int:
        """Index new documents, link each to its near-duplicates; return the links made."""
        signatures = {doc_id: signature(body) for doc_id, body in bodies.items()}
        keys = {doc_id: band_keys(sig) for doc_id, sig in signatures.items()}
        links = self._archived_matches(session, signatures, keys) + self._batch_matches(signatures)
        rows = [{"document_id": d, "signature": to_bytes(s)} for d, s in signatures.items()]
        bands = [
            {"bucket": key, "band": band, "document_id": doc_id}
            for doc_id, doc_keys in keys.items()
            for band, key in enumerate(doc_keys)
        ]
        insert_ignoring_conflicts(session, DocumentSignature, rows)
        insert_ignoring_conflicts(session, DocumentBand, bands)
        insert_ignoring_conflicts(session, DocumentLink, [_link(a, b) for a, b in links])
        return len(links)

    def _archived_matches(
        self, session: Session, signatures: dict[int, Signature], keys: dict[int, list[int]]
    ) -> list[tuple[int, int]]:
        candidates = _candidates(session, keys)
        known = _signatures(session, {c for found in candidates.values() for c in found})
        return [
            (doc_id, other)
            for doc_id, found in candidates.items()
            for other in sorted(found)
            if similarity(signatures[doc_id], known[other]) >= self.threshold
        ]

    def _batch_matches(self, signatures: dict[int, Signature]) -> list[tuple[int, int]]:
        batch = BandIndex(self.threshold)
        pairs = []
        for doc_id, sig in sorted(signatures.items()):
            pairs += [(doc_id, other) for other in batch.near(sig)]
            batch.add(doc_id, sig)
        return pairs


def _candidates(session: Session, keys: dict[int, list[int]]) -> dict[int, set[int]]:
    """Archived documents sharing at least one band with each new document."""
    wanted: dict[tuple[int, int], list[int]] = defaultdict(list)
    for doc_id, doc_keys in keys.items():
        for band, key in enumerate(doc_keys):
            wanted[(band, key)].append(doc_id)
    found: dict[int, set[int]] = defaultdict(set)
    buckets = sorted({key for _, key in wanted})
    for start in range(0, len(buckets), 900):  # stay under any driver's parameter limit
        query = select(DocumentBand.band, DocumentBand.bucket, DocumentBand.document_id).where(
            DocumentBand.bucket.in_(buckets[start : start + 900])
        )
        for band, bucket, other in session.execute(query):
            for new in wanted.get((band, bucket), ()):
                if other not in keys:
                    found[new].add(other)
    return found


def _signatures(session: Session, ids: set[int]) -> dict[int, Signature]:
    if not ids:
        return {}
    query = select(DocumentSignature.document_id, DocumentSignature.signature).where(
        DocumentSignature.document_id.in_(sorted(ids))
    )
    return {doc_id: from_bytes(raw) for doc_id, raw in session.execute(query)}


def _link(new: int, other: int) -> dict[str, Any]:
    return {"from_document_id": new, "to_document_id": other, "kind": "near_duplicate"}
