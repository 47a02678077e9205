"""Measuring identity resolution against synthetic ground truth: pairwise precision and recall
of auto-matches, as record-linkage studies (and Splink) report them."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> str:
        return (
            f"{self.records} records: precision {self.precision:.4f}, recall {self.recall:.4f}, "
            f"F1 {self.f1:.4f} ({self.correct_pairs}/{self.predicted_pairs} predicted pairs correct, "
            f"{self.true_pairs} true pairs)"
        )


def pair_quality(truth: set[tuple[str, str]], clusters: Mapping[str, Hashable]) -> Quality:
    """Compare the true same-person pairs with the pairs of records resolved to one person."""
    members: dict[Hashable, list[str]] = defaultdict(list)
    for record, cluster in clusters.items():
        members[cluster].append(record)
    predicted = {
        tuple(sorted(pair)) for group in members.values() for pair in itertools.combinations(group, 2)
    }
    return Quality(len(clusters), len(truth), len(predicted), len(predicted & truth))
