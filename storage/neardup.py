"""Linking near-duplicate documents (kind `near_duplicate`), never merging them.

A band index (pipeline.neardup) over every archived document's stored signature, loaded
once per process; each newly archived document is looked up, linked to the documents it
nearly repeats, and added.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.neardup import THRESHOLD, BandIndex, from_bytes, signature, to_bytes
from storage.archive import insert_ignoring_conflicts
from storage.models import DocumentLink, DocumentSignature


class NearDuplicateIndex:
    def __init__(self, threshold: float = THRESHOLD):
        self.bands = BandIndex(threshold)

    @property
    def indexed(self) -> set[int]:
        return set(self.bands.signatures)

    @classmethod
    def load(cls, session: Session, threshold: float = THRESHOLD) -> NearDuplicateIndex:
        index = cls(threshold)
        query = select(DocumentSignature.document_id, DocumentSignature.signature)
        for document_id, raw in session.execute(query.execution_options(yield_per=2000)):
            index.bands.add(document_id, from_bytes(raw))
        return index

    def add(self, session: Session, bodies: dict[int, str]) -> int:
        """Index new documents, link each to its near-duplicates; return the links made."""
        links, rows = [], []
        for document_id, body in bodies.items():
            if document_id in self.bands.signatures:
                continue
            sig = signature(body)
            links += [
                {"from_document_id": document_id, "to_document_id": other, "kind": "near_duplicate"}
                for other in self.bands.near(sig)
            ]
            rows.append({"document_id": document_id, "signature": to_bytes(sig)})
            self.bands.add(document_id, sig)
        insert_ignoring_conflicts(session, DocumentSignature, rows)
        insert_ignoring_conflicts(session, DocumentLink, links)
        return len(links)
