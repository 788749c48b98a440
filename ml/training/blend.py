"""The recommender blend's torch-free parts, shared by training (ml.training.recommender) and the web
process's numpy serving (ml.serving): pruned neighbour tables, the per-user z-score, left padding, a
catalogue's item vectors under one bundle, and the ranker both score a registered bundle with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

NEIGHBOURS = 100
COMPONENTS = ("sequential", "ease", "item_knn")


@dataclass(frozen=True)
class Neighbours:
    """Each item's top-k neighbours and weights (the pruned item-item matrix that serving keeps)."""

    index: np.ndarray  # (n + 1, k) item indices
    value: np.ndarray  # (n + 1, k)

    @classmethod
    def from_matrix(cls, weights: np.ndarray, k: int = NEIGHBOURS) -> Neighbours:
        k = min(k, weights.shape[1])
        index = np.argpartition(-weights, k - 1, axis=1)[:, :k]
        value = np.take_along_axis(weights, index, axis=1)
        return cls(index=index.astype(np.int64), value=value.astype(np.float32))

    def scores(self, history_rows: np.ndarray, n_items: int) -> np.ndarray:
        """history_rows (B, n + 1) weights of each user's items; returns (B, n + 1)."""
        out = np.zeros((history_rows.shape[0], n_items + 1), dtype=np.float32)
        for r in range(history_rows.shape[0]):
            items = np.flatnonzero(history_rows[r])
            if len(items):
                np.add.at(out[r], self.index[items].ravel(), (self.value[items] * history_rows[r, items, None]).ravel())
        return out

    def user_scores(self, items: np.ndarray, n_items: int) -> np.ndarray:
        out = np.zeros(n_items + 1, dtype=np.float32)
        if len(items):
            np.add.at(out, self.index[items].ravel(), self.value[items].ravel())
        return out


def zscore(scores: np.ndarray) -> np.ndarray:
    """Per row over the real items (column 0 is padding): mean 0, standard deviation 1."""
    body = scores[:, 1:]
    mean = body.mean(axis=1, keepdims=True)
    std = body.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(std > 1e-9, std, 1.0)


def blend_total(parts: dict[str, np.ndarray], blend: dict[str, float], size: int) -> np.ndarray:
    """The blend's score of every row (size,): each part z-scored over the real rows, weighted and summed."""
    total = np.zeros(size, dtype=np.float64)
    for name, values in parts.items():
        weight = blend.get(name, 0.0)
        if weight:
            total += weight * zscore(values[None, :].astype(np.float64))[0]
    return total


def left_padded(items: list[int], length: int) -> list[int]:
    """The last `length` items, left-padded with 0 (the sequential net reads oldest first)."""
    items = items[-length:]
    return [0] * (length - len(items)) + items


@dataclass(frozen=True)
class Catalogue:
    """Item vectors of one catalogue under one bundle. Row r + 1 is keys[r]; row 0 is padding."""

    keys: list[int]  # sorted by the caller for serving's binary search (key_array)
    key_array: np.ndarray
    row: dict[int, int]  # key -> row
    vectors: Any  # (n + 1, dim): a torch tensor in training (BundleRanker), a numpy array in serving
    bias: np.ndarray  # (n + 1,)
    bundle_index: np.ndarray  # (n + 1,) the bundle's item index of each row, 0 = unknown to the bundle

    @classmethod
    def build(cls, keys: list[int], vectors: Any, bias: np.ndarray, bundle_index: np.ndarray) -> Catalogue:
        return cls(
            keys=keys,
            key_array=np.array(keys, dtype=np.int64),
            row={k: r + 1 for r, k in enumerate(keys)},
            vectors=vectors,
            bias=bias,
            bundle_index=bundle_index,
        )

    def history_rows(self, history: list[int], max_len: int) -> list[int]:
        """Rows of the history's rooms that this catalogue holds, the last max_len of them, oldest first."""
        return [self.row[k] for k in history if k in self.row][-max_len:]

    def known_items(self, rows: list[int]) -> np.ndarray:
        """The bundle's item indices of these rows, rooms the bundle never saw left out."""
        known = self.bundle_index[rows] if rows else np.zeros(0, dtype=np.int64)
        return known[known > 0]


class BlendRanker:
    """A registered blend (sequential net + pruned EASE + pruned item-kNN) scoring any catalogue: what the
    training ranker (torch, ml.training.recommender.BundleRanker) and the served one (numpy,
    ml.serving.ServedRanker) share. A subclass sets `model` (with `max_len`) and gives the net's part over the
    catalogue's rows (`sequential`) and the catalogue itself (`catalogue`)."""

    model: Any

    def __init__(self, bundle: dict[str, Any], *, ease: Neighbours, knn: Neighbours) -> None:
        self.item_index = {int(k): i + 1 for i, k in enumerate(bundle["item_keys"].tolist())}
        self.n_items = len(self.item_index)
        self.ease = ease
        self.knn = knn
        self.blend = {name: float(bundle["blend"].get(name, 0.0)) for name in COMPONENTS}

    def catalogue_index(self, keys: list[int]) -> np.ndarray:
        """Each catalogue row's index in the bundle (0: padding, or a room the bundle never saw)."""
        return np.array([0, *(self.item_index.get(k, 0) for k in keys)], dtype=np.int64)

    def sequential(self, catalogue: Catalogue, rows: list[int], preferences) -> np.ndarray:
        raise NotImplementedError

    def components(self, catalogue: Catalogue, history, preferences=None) -> dict[str, np.ndarray]:
        """Each part's raw scores over the catalogue's rows (n + 1,) for a history of catalogue keys, oldest first."""
        rows = catalogue.history_rows(list(history), self.model.max_len)
        parts = {"sequential": self.sequential(catalogue, rows, preferences)}
        known = catalogue.known_items(rows)
        for name, neighbours in (("ease", self.ease), ("item_knn", self.knn)):
            if self.blend[name]:
                parts[name] = neighbours.user_scores(known, self.n_items)[catalogue.bundle_index]
        return parts

    def scores(self, catalogue: Catalogue, history, preferences=None) -> np.ndarray:
        """The blend's score of every catalogue row (n + 1,); row 0 is padding."""
        return blend_total(self.components(catalogue, history, preferences), self.blend, len(catalogue.keys) + 1)
