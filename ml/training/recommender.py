"""Recommender data, baselines, training and full-ranking leave-last-out evaluation.

Interactions are implicit and general: (user, item, timestamp) or (user, item, timestamp, weight), where
the weight says how strong the signal is (EASE and item-kNN use it; today's sources, reviews and positive
feedback, all give 1, and a play log can come in as one more source); each (user, item) pair counts
once, at its first time, with its strongest weight. Evaluation holds out every user's last
interaction by time and ranks it against ALL items the user has not interacted with in training (no
sampled negatives). Everything that is tuned (epochs, EASE's L2, the blend weights) is tuned on a
validation split made from the training part alone (each user's second-to-last item), never on the test.

The model is a blend: the sequential net (ml.nets.recommender) plus EASE and item-kNN over the same
interactions, each z-scored per user, with weights chosen on the validation split. EASE and item-kNN
are kept as top-k neighbour tables (what serving uses), so the blend scored here is the one served.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import product

import numpy as np
import torch
from torch import nn

from ml.nets.recommender import SequentialRecommender
from ml.training.blend import BlendRanker, Catalogue, Neighbours, left_padded, zscore
from ml.training.metrics import rank_of_target
from ml.training.runtime import torch_setup

TOP_K = 10
MAX_LEN = 30
EASE_L2_GRID = (10.0, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0)
BLEND_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)

Scorer = Callable[[np.ndarray], np.ndarray]


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
    weights: dict[tuple[int, int], float] = field(default_factory=dict)  # (user, item) -> strength, default 1

    @property
    def n_users(self) -> int:
        return len(self.user_keys)

    @property
    def n_items(self) -> int:
        return len(self.item_keys)


def rec_data_build(
    *,
    rows: Iterable[Sequence],
    item_features: dict[Hashable, list[float]] | None = None,
    user_features: dict[Hashable, list[float]] | None = None,
    holdout: bool = True,
) -> RecData:
    """rows are (user, item, timestamp[, weight]).

    With holdout, each user with >= 2 items loses the last one to test."""
    first_seen: dict[tuple[Hashable, Hashable], tuple[float, int]] = {}
    strength: dict[tuple[Hashable, Hashable], float] = {}
    for order, row in enumerate(rows):
        user, item, timestamp = row[0], row[1], row[2]
        weight = float(row[3]) if len(row) > 3 else 1.0
        key = (user, item)
        if key not in first_seen or (float(timestamp), order) < first_seen[key]:
            first_seen[key] = (float(timestamp), order)
        strength[key] = max(strength.get(key, 0.0), weight)
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
        weights={(user_index[u], item_index[i]): w for (u, i), w in strength.items() if w != 1.0},
    )


def rec_validation_split(data: RecData) -> RecData:
    """The same users and items, with each user's last TRAINING item held out: what tuning is scored on."""
    train, test = {}, {}
    for u, items in data.train.items():
        if len(items) >= 2:
            train[u], test[u] = items[:-1], items[-1]
        else:
            train[u] = list(items)
    return replace(data, train=train, test=test)


def rec_evaluate(data: RecData, score_fn: Scorer, *, k: int = TOP_K) -> dict[str, float]:
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


# --- baselines (and blend components) ---------------------------------------------------------------------


def _user_rows(data: RecData, users: np.ndarray) -> np.ndarray:
    dense = np.zeros((len(users), data.n_items + 1), dtype=np.float32)
    for r, u in enumerate(users):
        items = data.train.get(int(u), [])
        dense[r, items] = [data.weights.get((int(u), i), 1.0) for i in items]
    return dense


def _interaction_matrix(data: RecData) -> torch.Tensor:
    rows, cols, values = [], [], []
    for u, items in data.train.items():
        for i in items:
            rows.append(u)
            cols.append(i)
            values.append(data.weights.get((u, i), 1.0))
    shape = (data.n_users + 1, data.n_items + 1)
    index = torch.tensor([rows, cols], dtype=torch.long).reshape(2, -1)
    return torch.sparse_coo_tensor(index, torch.tensor(values, dtype=torch.float32), shape).coalesce()


def popularity_scorer(data: RecData) -> Scorer:
    counts = np.zeros(data.n_items + 1, dtype=np.float64)
    for items in data.train.values():
        np.add.at(counts, items, 1.0)

    def score(users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(counts, (len(users), len(counts)))

    return score


def item_similarity(data: RecData) -> np.ndarray:
    """Cosine similarity of items' user columns (n + 1, n + 1), diagonal zero."""
    matrix = _interaction_matrix(data)
    gram = torch.sparse.mm(matrix.t().coalesce(), matrix.to_dense()).numpy().astype(np.float32)
    norms = np.sqrt(np.diag(gram).copy())
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    similarity = gram * inv[:, None] * inv[None, :]
    np.fill_diagonal(similarity, 0.0)
    return similarity


def ease_weights(data: RecData, *, l2: float) -> np.ndarray:
    """EASE (Steck 2019): the item-item weights B = I - P diagMat(1 / diag(P)), P = (X^T X + l2 I)^-1."""
    matrix = _interaction_matrix(data)
    gram = torch.sparse.mm(matrix.t().coalesce(), matrix.to_dense()).double()
    gram += l2 * torch.eye(gram.shape[0], dtype=torch.float64)
    precision = torch.linalg.inv(gram)
    weights = -precision / torch.diagonal(precision).unsqueeze(0)
    weights.fill_diagonal_(0.0)
    weights[0] = 0.0
    weights[:, 0] = 0.0
    return weights.float().numpy()


def matrix_scorer(data: RecData, weights: np.ndarray) -> Scorer:
    def score(users: np.ndarray) -> np.ndarray:
        return _user_rows(data, users) @ weights

    return score


def item_knn_scorer(data: RecData) -> Scorer:
    """Item-based CF: score(i) = sum over the user's items h of cosine(h, i)."""
    return matrix_scorer(data, item_similarity(data))


def ease_scorer(data: RecData, *, l2: float) -> Scorer:
    return matrix_scorer(data, ease_weights(data, l2=l2))


def ease_tune(data: RecData, grid: Sequence[float] = EASE_L2_GRID) -> float:
    """EASE's L2, chosen by NDCG@10 on the validation split of `data`."""
    valid = rec_validation_split(data)
    scores = {l2: rec_evaluate(valid, ease_scorer(valid, l2=l2))["ndcg@10"] for l2 in grid}
    return max(grid, key=lambda l2: (scores[l2], -l2))


def neighbour_scorer(data: RecData, neighbours: Neighbours) -> Scorer:
    def score(users: np.ndarray) -> np.ndarray:
        return neighbours.scores(_user_rows(data, users), data.n_items)

    return score


# --- the sequential net ---------------------------------------------------------------------------------


def _training_sequences(data: RecData, max_len: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs, targets, users): every user's training sequence cut into windows of max_len next-item steps."""
    inputs, targets, users = [], [], []
    for u, items in data.train.items():
        if len(items) < 2:
            continue
        for end in range(len(items), 1, -max_len):
            start = max(0, end - max_len - 1)
            window = items[start:end]
            inputs.append(left_padded(window[:-1], max_len))
            targets.append(left_padded(window[1:], max_len))
            users.append(u)
    return (
        torch.tensor(inputs, dtype=torch.long).reshape(-1, max_len),
        torch.tensor(targets, dtype=torch.long).reshape(-1, max_len),
        torch.tensor(users, dtype=torch.long),
    )


def _tensor(array: np.ndarray | None) -> torch.Tensor | None:
    return None if array is None else torch.from_numpy(array)


def rec_train(
    data: RecData,
    *,
    epochs: int = 30,
    dim: int = 48,
    max_len: int = MAX_LEN,
    layers: int = 2,
    lr: float = 0.005,
    batch_size: int = 128,
    weight_decay: float = 0.0,
    dropout: float = 0.2,
    seed: int = 0,
    early_stopping: bool = False,
    eval_every: int = 3,
    patience: int = 2,
    progress: Callable[[str], None] | None = None,
) -> tuple[SequentialRecommender, list[float], int]:
    """Trains next-item prediction at every position of every user's sequence (full softmax over items).

    With early_stopping, `data` must be a validation split: NDCG@10 on its held-out items is measured
    every `eval_every` epochs and the best state is kept. Returns (model, losses, best epoch count).
    """
    torch_setup(seed=seed, training=True)
    rng = np.random.default_rng(seed)
    inputs, targets, users = _training_sequences(data, max_len)
    item_features, user_features = _tensor(data.item_features), _tensor(data.user_features)
    model = SequentialRecommender(
        n_items=data.n_items,
        item_feature_dim=0 if item_features is None else item_features.shape[1],
        user_feature_dim=0 if user_features is None else user_features.shape[1],
        dim=dim,
        max_len=max_len,
        layers=layers,
        dropout=dropout,
    )
    # Logits are (batch, max_len, items): keep one batch's logits near 20M floats on big catalogues.
    batch_size = max(8, min(batch_size, 20_000_000 // max(1, max_len * (data.n_items + 1))))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    losses: list[float] = []
    best = (-1.0, 0, None)
    stale = 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(inputs)))
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            history, target = inputs[index], targets[index]
            items, bias = model.item_vectors(item_features)
            states = model.encode(history, items, None if user_features is None else user_features[users[index]])
            logits = states @ items.T + bias
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = int((target > 0).sum())
            total += float(loss.detach()) * n
            count += n
        losses.append(total / max(count, 1))
        if early_stopping and (epoch % eval_every == 0 or epoch == epochs):
            model.eval()
            score = rec_evaluate(data, model_scorer(model, data))["ndcg@10"]
            if progress is not None:
                progress(f"epoch {epoch}: loss {losses[-1]:.4f}, validation ndcg@10 {score:.4f}")
            if score > best[0]:
                best, stale = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()}), 0
            else:
                stale += 1
                if stale >= patience:
                    break
    if early_stopping and best[2] is not None:
        model.load_state_dict(best[2])
    model.eval()
    return model, losses, best[1] if early_stopping else epochs


def model_scorer(model: SequentialRecommender, data: RecData) -> Scorer:
    item_features, user_features = _tensor(data.item_features), _tensor(data.user_features)

    def score(users: np.ndarray) -> np.ndarray:
        history = torch.tensor(
            [left_padded(data.train.get(int(u), []), model.max_len) for u in users], dtype=torch.long
        ).reshape(len(users), model.max_len)
        with torch.no_grad():
            prefs = None if user_features is None else user_features[torch.from_numpy(users.astype(np.int64))]
            return model(history, item_features, prefs).numpy()

    return score


# --- the blend ------------------------------------------------------------------------------------------


def blend_scorer(scorers: dict[str, Scorer], weights: dict[str, float]) -> Scorer:
    def score(users: np.ndarray) -> np.ndarray:
        total = None
        for name, weight in weights.items():
            if weight:
                part = weight * zscore(np.asarray(scorers[name](users), dtype=np.float64))
                total = part if total is None else total + part
        return total

    return score


def blend_tune(valid: RecData, scorers: dict[str, Scorer], grid: Sequence[float] = BLEND_GRID) -> dict[str, float]:
    """Weights of the blend (the sequential net's fixed at 1), by NDCG@10 on the validation split."""
    users = np.array(sorted(valid.test), dtype=np.int64)
    cached = {name: zscore(np.asarray(scorer(users), dtype=np.float64)) for name, scorer in scorers.items()}
    row = {int(u): r for r, u in enumerate(users)}

    def cached_scorer(name: str) -> Scorer:
        return lambda batch: cached[name][[row[int(u)] for u in batch]]

    best = (-1.0, {"sequential": 1.0, "ease": 0.0, "item_knn": 0.0})
    for ease, knn in product(grid, grid):
        weights = {"sequential": 1.0, "ease": ease, "item_knn": knn}
        scorer = blend_scorer({name: cached_scorer(name) for name in cached}, weights)
        value = rec_evaluate(valid, scorer)["ndcg@10"]
        if value > best[0] + 1e-9:
            best = (value, weights)
    return best[1]


@dataclass
class RecommenderFit:
    model: SequentialRecommender
    ease: Neighbours
    knn: Neighbours
    blend: dict[str, float]
    ease_l2: float
    epochs: int
    losses: list[float]
    validation: dict[str, float]  # NDCG@10 of the blend and its parts on the validation split

    def scorer(self, data: RecData) -> Scorer:
        return blend_scorer(
            {
                "sequential": model_scorer(self.model, data),
                "ease": neighbour_scorer(data, self.ease),
                "item_knn": neighbour_scorer(data, self.knn),
            },
            self.blend,
        )

    def bundle(self, data: RecData) -> dict:
        """What the registry stores and serving loads: tensors and plain values only."""
        return {
            "kind": "sequential_blend",
            "state_dict": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
            "config": self.model.config,
            "item_keys": torch.tensor([int(k) for k in data.item_keys]),
            "ease_index": torch.from_numpy(self.ease.index),
            "ease_value": torch.from_numpy(self.ease.value),
            "knn_index": torch.from_numpy(self.knn.index),
            "knn_value": torch.from_numpy(self.knn.value),
            "blend": dict(self.blend),
        }


def rec_fit(
    data: RecData,
    *,
    max_epochs: int = 30,
    seed: int = 0,
    ease_l2: float | None = None,
    progress: Callable[[str], None] | None = None,
    **train_options,
) -> RecommenderFit:
    """The whole recipe, tuned on the validation split of `data` only, then refitted on all of data.train:
    EASE's L2, the net's epochs (early stopping) and the blend weights."""
    valid = rec_validation_split(data)
    l2 = ease_l2 if ease_l2 is not None else ease_tune(data)
    if progress is not None:
        progress(f"EASE l2={l2:g} chosen on validation; training the sequential net on the validation split")
    valid_model, _, epochs = rec_train(
        valid, epochs=max_epochs, seed=seed, early_stopping=True, progress=progress, **train_options
    )
    valid_parts = {
        "sequential": model_scorer(valid_model, valid),
        "ease": neighbour_scorer(valid, Neighbours.from_matrix(ease_weights(valid, l2=l2))),
        "item_knn": neighbour_scorer(valid, Neighbours.from_matrix(item_similarity(valid))),
    }
    blend = blend_tune(valid, valid_parts)
    validation = {name: rec_evaluate(valid, scorer)["ndcg@10"] for name, scorer in valid_parts.items()}
    validation["blend"] = rec_evaluate(valid, blend_scorer(valid_parts, blend))["ndcg@10"]
    if progress is not None:
        progress(f"blend {blend} chosen on validation ({validation}); refitting for {epochs} epochs")
    model, losses, _ = rec_train(data, epochs=max(1, epochs), seed=seed, **train_options)
    return RecommenderFit(
        model=model,
        ease=Neighbours.from_matrix(ease_weights(data, l2=l2)),
        knn=Neighbours.from_matrix(item_similarity(data)),
        blend=blend,
        ease_l2=l2,
        epochs=epochs,
        losses=losses,
        validation=validation,
    )


def rec_compare(data: RecData, fit: RecommenderFit) -> dict[str, dict[str, float]]:
    """The model and the three baselines on the same held-out items, side by side (EASE with the L2 tuned
    on validation, item-kNN and EASE unpruned)."""
    return {
        "model": rec_evaluate(data, fit.scorer(data)),
        "popularity": rec_evaluate(data, popularity_scorer(data)),
        "item_knn": rec_evaluate(data, item_knn_scorer(data)),
        "ease": rec_evaluate(data, ease_scorer(data, l2=fit.ease_l2)),
    }


# --- a stored bundle, scored against any catalogue ---------------------------------------------------------


class BundleRanker(BlendRanker):
    """The registered blend (sequential net + pruned EASE + pruned item-kNN) from its bundle, scoring any
    catalogue: rooms the bundle never saw get a vector from their content and no neighbour evidence.
    The champion's re-evaluation on new data uses it; the web process serves the same blend in numpy
    (ml.serving.ServedRanker), tested equal to this one."""

    def __init__(self, bundle: dict) -> None:
        super().__init__(
            bundle,
            ease=Neighbours(index=bundle["ease_index"].numpy(), value=bundle["ease_value"].numpy()),
            knn=Neighbours(index=bundle["knn_index"].numpy(), value=bundle["knn_value"].numpy()),
        )
        self.model = SequentialRecommender(**bundle["config"])
        self.model.load_state_dict(bundle["state_dict"])
        self.model.eval()

    def catalogue(self, keys: Sequence[int], features: np.ndarray | None) -> Catalogue:
        """features (len(keys), F) in the order of keys, or None when the net has no content tower."""
        keys = [int(k) for k in keys]
        index = self.catalogue_index(keys)
        with torch.no_grad():
            vectors = self.model.item_id.weight[torch.from_numpy(index)].clone()
            bias = self.model.item_bias.weight.squeeze(-1)[torch.from_numpy(index)].clone()
            if self.model.item_content is not None and features is not None and len(keys):
                vectors[1:] += self.model.item_content(torch.as_tensor(features, dtype=torch.float32))
            vectors[0] = 0.0
            bias[0] = 0.0
        return Catalogue.build(keys, vectors, bias.numpy(), index)

    def sequential(self, catalogue: Catalogue, rows: list[int], preferences: Sequence[float] | None) -> np.ndarray:
        with torch.inference_mode():
            padded = torch.tensor([left_padded(rows, self.model.max_len)], dtype=torch.long)
            prefs = (
                None
                if self.model.user_pref is None or preferences is None
                else torch.tensor([list(preferences)], dtype=torch.float32)
            )
            state = self.model.encode(padded, catalogue.vectors, prefs, last_only=True)[0, -1]
            # torch's product, not numpy's: numpy's BLAS threads, woken after torch's, cost ~10 ms a
            # request on a busy machine (measured in bench/ml_latency.py).
            return torch.mv(catalogue.vectors, state).numpy() + catalogue.bias


def bundle_evaluate(bundle: dict, data: RecData, *, k: int = TOP_K) -> dict[str, float]:
    """A stored bundle's HR@k / NDCG@k on data's held-out items (data's item keys must be ints)."""
    ranker = BundleRanker(bundle)
    keys = [int(key) for key in data.item_keys]
    features = None if data.item_features is None else data.item_features[1:]
    catalogue = ranker.catalogue(keys, features)

    def score(users: np.ndarray) -> np.ndarray:
        out = np.zeros((len(users), data.n_items + 1))
        for r, u in enumerate(users):
            history = [keys[i - 1] for i in data.train.get(int(u), [])]
            prefs = None if data.user_features is None else data.user_features[int(u)]
            out[r] = ranker.scores(catalogue, history, prefs)
        return out

    return rec_evaluate(data, score, k=k)


def rec_noise(data: RecData, fit: RecommenderFit, *, seeds: Iterable[int]) -> list[float]:
    """NDCG@10 of the same recipe (epochs, EASE, kNN, blend weights) with the net retrained on other seeds:
    the run-to-run noise a new champion must win by."""
    out = []
    for seed in seeds:
        model, _, _ = rec_train(data, epochs=fit.epochs, seed=seed, **_net_options(fit.model))
        out.append(rec_evaluate(data, replace(fit, model=model).scorer(data))["ndcg@10"])
    return out


def _net_options(model: SequentialRecommender) -> dict:
    return {key: model.config[key] for key in ("dim", "max_len", "layers", "dropout")}
