"""Recommender data, training and full-ranking leave-last-out evaluation against two baselines.

Interactions are implicit (a play, a like, a click): each (user, item) pair counts once, at its
first time. Evaluation holds out every user's last interaction by time and ranks it against ALL
items the user has not interacted with in training (no sampled negatives).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ml.nets.recommender import HybridRecommender
from ml.training.metrics import rank_of_target
from ml.training.runtime import torch_setup

HISTORY_LENGTH = 20
TOP_K = 10


@dataclass
class RecData:
    user_keys: list[Hashable]
    item_keys: list[Hashable]
    train: dict[int, list[int]]  # user index -> item indices, oldest first
    test: dict[int, int]  # user index -> held-out item index
    item_features: np.ndarray | None = None  # (n_items + 1, F), row 0 = unknown item (zeros)
    user_features: np.ndarray | None = None  # (n_users + 1, F)
    user_index: dict[Hashable, int] = field(default_factory=dict)
    item_index: dict[Hashable, int] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_keys)

    @property
    def n_items(self) -> int:
        return len(self.item_keys)


def rec_data_build(
    *,
    rows: Iterable[tuple[Hashable, Hashable, float]],
    item_features: dict[Hashable, list[float]] | None = None,
    user_features: dict[Hashable, list[float]] | None = None,
    holdout: bool = True,
) -> RecData:
    """rows are (user, item, timestamp). With holdout, each user with >= 2 items loses the last one to test."""
    first_seen: dict[tuple[Hashable, Hashable], tuple[float, int]] = {}
    for order, (user, item, timestamp) in enumerate(rows):
        key = (user, item)
        if key not in first_seen or (timestamp, order) < first_seen[key]:
            first_seen[key] = (float(timestamp), order)
    item_keys = sorted({item for _, item in first_seen} | set(item_features or {}), key=str)
    user_keys = sorted({user for user, _ in first_seen}, key=str)
    item_index = {key: i + 1 for i, key in enumerate(item_keys)}
    user_index = {key: i + 1 for i, key in enumerate(user_keys)}
    per_user: dict[int, list[tuple[float, int, int]]] = {}
    for (user, item), (timestamp, order) in first_seen.items():
        per_user.setdefault(user_index[user], []).append((timestamp, order, item_index[item]))
    train: dict[int, list[int]] = {}
    test: dict[int, int] = {}
    for u, events in per_user.items():
        items = [item for _, _, item in sorted(events)]
        if holdout and len(items) >= 2:
            test[u] = items[-1]
            items = items[:-1]
        train[u] = items

    def matrix(features: dict | None, keys: list, index: dict) -> np.ndarray | None:
        if not features:
            return None
        width = len(next(iter(features.values())))
        out = np.zeros((len(keys) + 1, width), dtype=np.float32)
        for key, vector in features.items():
            if key in index:
                out[index[key]] = vector
        return out

    return RecData(
        user_keys=user_keys,
        item_keys=item_keys,
        train=train,
        test=test,
        item_features=matrix(item_features, item_keys, item_index),
        user_features=matrix(user_features, user_keys, user_index),
        user_index=user_index,
        item_index=item_index,
    )


def rec_evaluate(data: RecData, score_fn: Callable[[np.ndarray], np.ndarray], *, k: int = TOP_K) -> dict[str, float]:
    """HR@k and NDCG@k of the held-out items, ranked among every item the user has not trained on."""
    users = np.array(sorted(data.test), dtype=np.int64)
    hits, gains = 0.0, 0.0
    for start in range(0, len(users), 256):
        batch = users[start : start + 256]
        scores = np.asarray(score_fn(batch), dtype=np.float64)
        for row, u in zip(scores, batch, strict=True):
            row = row.copy()
            row[0] = -np.inf
            row[data.train.get(int(u), [])] = -np.inf
            rank = rank_of_target(row, data.test[int(u)])
            if rank < k:
                hits += 1
                gains += 1.0 / math.log2(rank + 2)
    n = max(len(users), 1)
    return {f"hr@{k}": hits / n, f"ndcg@{k}": gains / n}


def popularity_scorer(data: RecData) -> Callable[[np.ndarray], np.ndarray]:
    counts = np.zeros(data.n_items + 1, dtype=np.float64)
    for items in data.train.values():
        np.add.at(counts, items, 1.0)

    def score(users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(counts, (len(users), len(counts)))

    return score


def item_knn_scorer(data: RecData) -> Callable[[np.ndarray], np.ndarray]:
    """Item-based CF: score(i) = sum over the user's items h of cosine(h, i) on the user-item matrix.

    Computed as (x_u D^-1/2 X^T) X D^-1/2 with a sparse X, so no items x items matrix is built.
    """
    rows, cols = [], []
    for u, items in data.train.items():
        rows.extend([u] * len(items))
        cols.extend(items)
    shape = (data.n_users + 1, data.n_items + 1)
    values = torch.ones(len(rows), dtype=torch.float32)
    matrix = torch.sparse_coo_tensor(torch.tensor([rows, cols]), values, shape, check_invariants=True).coalesce()
    norms = torch.zeros(shape[1])
    norms.index_add_(0, torch.tensor(cols, dtype=torch.long), torch.ones(len(cols)))
    inv_sqrt = torch.where(norms > 0, norms.rsqrt(), torch.zeros_like(norms))
    matrix_t = matrix.t().coalesce()

    def score(users: np.ndarray) -> np.ndarray:
        dense = torch.zeros(len(users), shape[1])
        for r, u in enumerate(users):
            dense[r, data.train.get(int(u), [])] = 1.0
        weighted = dense * inv_sqrt
        co_users = torch.sparse.mm(matrix, weighted.t()).t()  # (B, U): overlap with each user
        return (torch.sparse.mm(matrix_t, co_users.t()).t() * inv_sqrt).numpy()

    return score


def _histories(items_by_user: dict[int, list[int]], users: np.ndarray, length: int = HISTORY_LENGTH) -> torch.Tensor:
    out = torch.zeros(len(users), length, dtype=torch.long)
    for r, u in enumerate(users):
        items = items_by_user.get(int(u), [])[-length:]
        if items:
            out[r, : len(items)] = torch.tensor(items)
    return out


def _tensor(array: np.ndarray | None) -> torch.Tensor | None:
    return None if array is None else torch.from_numpy(array)


def rec_train(
    data: RecData,
    *,
    epochs: int = 30,
    dim: int = 32,
    lr: float = 0.01,
    batch_size: int = 256,
    weight_decay: float = 1e-3,
    max_examples_per_epoch: int = 200_000,
    seed: int = 0,
) -> tuple[HybridRecommender, list[float]]:
    """Trains next-item prediction: each training interaction is a target, the items before it the history."""
    torch_setup(seed=seed, training=True)
    rng = np.random.default_rng(seed)
    examples = np.array([(u, p) for u, items in data.train.items() for p in range(len(items))], dtype=np.int64)
    # Every example's history (the items before its target), built once rather than per batch.
    histories = torch.zeros(len(examples), HISTORY_LENGTH, dtype=torch.long)
    targets_all = torch.empty(len(examples), dtype=torch.long)
    for r, (u, p) in enumerate(examples):
        items = data.train[int(u)]
        past = items[max(0, p - HISTORY_LENGTH) : p]
        if past:
            histories[r, : len(past)] = torch.tensor(past)
        targets_all[r] = items[p]
    item_features, user_features = _tensor(data.item_features), _tensor(data.user_features)
    model = HybridRecommender(
        n_users=data.n_users,
        n_items=data.n_items,
        item_feature_dim=0 if item_features is None else item_features.shape[1],
        user_feature_dim=0 if user_features is None else user_features.shape[1],
        dim=dim,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(examples))[:max_examples_per_epoch]
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            index = torch.from_numpy(order[start : start + batch_size])
            users = torch.from_numpy(examples[index.numpy(), 0])
            history, targets = histories[index], targets_all[index]
            logits = model(users, history, item_features, None if user_features is None else user_features[users])
            logits[:, 0] = -1e9
            loss = loss_fn(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
            count += len(index)
        losses.append(total / max(count, 1))
    model.eval()
    return model, losses


def model_scorer(model: HybridRecommender, data: RecData) -> Callable[[np.ndarray], np.ndarray]:
    item_features, user_features = _tensor(data.item_features), _tensor(data.user_features)

    def score(users: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            u = torch.from_numpy(users.astype(np.int64))
            return model(
                u, _histories(data.train, users), item_features, None if user_features is None else user_features[u]
            ).numpy()

    return score


def rec_compare(data: RecData, model: HybridRecommender) -> dict[str, dict[str, float]]:
    """The three rankers on the same held-out items, side by side."""
    return {
        "model": rec_evaluate(data, model_scorer(model, data)),
        "popularity": rec_evaluate(data, popularity_scorer(data)),
        "item_knn": rec_evaluate(data, item_knn_scorer(data)),
    }
