"""The champions served with numpy alone: no torch, MLflow or SQLAlchemy in the web process.

When a model becomes champion, training publishes a serving copy of its bundle into PostgreSQL
(`ml.models.ServedModel`, written by `ml.services.served_model_publish`): every array of the bundle
(weights as float32) in one `numpy.savez` payload, and its plain values (config, blend weights, the
logistic regression's coefficients) as JSON. This module packs and unpacks that copy and runs the three
nets' forward passes in numpy, mirroring the torch modules in ml/nets/ operation by operation (tested
equal within float32 rounding in ml/tests/test_serving.py):

- `SequentialNet` / `ServedRanker`: ml.nets.recommender.SequentialRecommender and
  ml.training.recommender.BundleRanker (the blend with the EASE and item-kNN neighbour tables);
- `TrendNet`: ml.nets.trends.TrendLSTM, forecasting through ml.training.forecasts as training does;
- `SessionNet` / `session_predict`: ml.nets.session_quality.SessionQualityNet and
  ml.training.session_quality.session_predict.

Nothing here may import torch, mlflow or a module that does (a subprocess test checks `sys.modules`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ml.training.blend import BlendRanker, Catalogue, Neighbours, left_padded
from ml.training.forecasts import QUANTILES, trend_forecast_with
from ml.training.sessions import session_arrays

SEPARATOR = "::"  # joins nested keys in the payload ("state_dict::blocks.0.qkv.weight")
LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default, which the nets use


# --- the serving copy ---------------------------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray:
    """A tensor or array as numpy: floats as float32, integers as int32 when they fit (neighbour tables)."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    if array.dtype.kind in "iu":
        info = np.iinfo(np.int32)
        fits = array.size == 0 or (int(array.min()) >= info.min and int(array.max()) <= info.max)
        return array.astype(np.int32 if fits else np.int64)
    return array


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) or hasattr(value, "detach")


def bundle_pack(bundle: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """(numpy.savez bytes of every array of the bundle, the rest as JSON-ready values), any depth of dicts."""
    arrays: dict[str, np.ndarray] = {}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        plain: dict[str, Any] = {}
        for key, value in node.items():
            key = str(key)
            if SEPARATOR in key:
                raise ValueError(f"bundle key {key!r} contains {SEPARATOR!r}")
            if isinstance(value, dict):
                nested = walk(value, (*path, key))
                if nested or not value:  # a dict of arrays alone lives in the payload only
                    plain[key] = nested
            elif _is_array(value):
                arrays[SEPARATOR.join((*path, key))] = _as_array(value)
            else:
                plain[key] = value
        return plain

    meta = walk(bundle, ())
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue(), meta


def bundle_unpack(payload: bytes | memoryview, meta: dict[str, Any]) -> dict[str, Any]:
    """The bundle again, its arrays as numpy (no pickles are read)."""
    import copy

    bundle = copy.deepcopy(meta)
    with np.load(io.BytesIO(bytes(payload)), allow_pickle=False) as stored:
        for name in stored.files:
            *parents, leaf = name.split(SEPARATOR)
            node = bundle
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = stored[name]
    return bundle


# --- layers ---------------------------------------------------------------------------------------------------


class Linear:
    """torch.nn.Linear: x @ W.T + b (W kept transposed and contiguous for the product)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None = None) -> None:
        self.weight_t = np.ascontiguousarray(np.asarray(weight, dtype=np.float32).T)
        self.bias = None if bias is None else np.asarray(bias, dtype=np.float32)

    @classmethod
    def of(cls, state: dict[str, np.ndarray], prefix: str, *, bias: bool = True) -> Linear:
        return cls(state[f"{prefix}.weight"], state[f"{prefix}.bias"] if bias else None)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = x @ self.weight_t
        return out if self.bias is None else out + self.bias


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)  # biased, as torch's
    return centred / np.sqrt(variance + np.float32(LAYER_NORM_EPS)) * weight + bias


# Abramowitz & Stegun 7.1.26 (max error 1.5e-7): the erf torch's vectorised CPU kernels compute GELU with.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def gelu(x: np.ndarray) -> np.ndarray:
    """torch.nn.GELU() (exact, not the tanh form) as torch computes it on the CPU: x / 2 (1 + erf(x / sqrt 2))."""
    z = x * np.float32(1.0 / math.sqrt(2.0))
    t = np.float32(1.0) / (_ERF_P * np.abs(z) + np.float32(1.0))
    poly = _ERF_A[0]
    for coefficient in _ERF_A[1:]:
        poly = poly * t + coefficient
    erf = np.sign(z) * (np.float32(1.0) - poly * t * np.exp(-z * z))
    return x * np.float32(0.5) * (np.float32(1.0) + erf)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0.0))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Without overflow for large |x|."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


class LSTM:
    """torch.nn.LSTM, one layer, batch_first, zero initial state; gates in torch's order i, f, g, o."""

    def __init__(self, state: dict[str, np.ndarray], prefix: str) -> None:
        bias = state[f"{prefix}.bias_ih_l0"] + state[f"{prefix}.bias_hh_l0"]
        self.input = Linear(state[f"{prefix}.weight_ih_l0"], bias)
        self.hidden_t = np.ascontiguousarray(state[f"{prefix}.weight_hh_l0"].astype(np.float32).T)
        self.size = self.hidden_t.shape[0]

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (B, T, I) -> (states (B, T, H), last hidden state (B, H))."""
        batch, steps, _ = x.shape
        from_input = self.input(x)
        h = np.zeros((batch, self.size), dtype=np.float32)
        c = np.zeros((batch, self.size), dtype=np.float32)
        states = np.empty((batch, steps, self.size), dtype=np.float32)
        for t in range(steps):
            gates = from_input[:, t] + h @ self.hidden_t
            i, f, g, o = np.split(gates, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            states[:, t] = h
        return states, h


# --- the recommender ------------------------------------------------------------------------------------------


class CausalBlock:
    """ml.nets.recommender.CausalBlock in eval mode (dropout off)."""

    def __init__(self, state: dict[str, np.ndarray], prefix: str, heads: int) -> None:
        self.heads = heads
        self.norm1 = (state[f"{prefix}.norm1.weight"], state[f"{prefix}.norm1.bias"])
        self.norm2 = (state[f"{prefix}.norm2.weight"], state[f"{prefix}.norm2.bias"])
        self.qkv = Linear.of(state, f"{prefix}.qkv")
        self.proj = Linear.of(state, f"{prefix}.proj")
        self.feed_in = Linear.of(state, f"{prefix}.feed.0")
        self.feed_out = Linear.of(state, f"{prefix}.feed.2")

    def __call__(self, x: np.ndarray, *, last_only: bool = False) -> np.ndarray:
        batch, length, dim = x.shape
        qkv = self.qkv(layer_norm(x, *self.norm1)).reshape(batch, length, 3, self.heads, dim // self.heads)
        q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (B, heads, L, dim / heads)
        if last_only:  # the last position sees every position: no mask needed
            q, x, length = q[:, :, -1:], x[:, -1:], 1
        scores = (q @ k.swapaxes(-1, -2)) * np.float32(1.0 / math.sqrt(dim // self.heads))
        if not last_only:  # each position sees itself and the positions before it
            scores = np.where(np.tril(np.ones((length, length), dtype=bool)), scores, np.float32(-np.inf))
        attended = softmax(scores) @ v
        x = x + self.proj(attended.transpose(0, 2, 1, 3).reshape(batch, length, dim))
        return x + self.feed_out(gelu(self.feed_in(layer_norm(x, *self.norm2))))


class SequentialNet:
    """ml.nets.recommender.SequentialRecommender in eval mode: item vectors (id + content tower) and the
    user state after a history."""

    def __init__(self, state: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.config = dict(config)
        self.max_len = int(config["max_len"])
        self.item_id = state["item_id.weight"].astype(np.float32)
        self.item_bias = state["item_bias.weight"][:, 0].astype(np.float32)
        self.item_content = (
            (Linear.of(state, "item_content.0"), Linear.of(state, "item_content.2"))
            if "item_content.0.weight" in state
            else None
        )
        self.position = state["position.weight"].astype(np.float32)
        self.blocks = [CausalBlock(state, f"blocks.{n}", int(config["heads"])) for n in range(int(config["layers"]))]
        self.norm = (state["norm.weight"], state["norm.bias"])
        self.user_pref = Linear.of(state, "user_pref", bias=False) if "user_pref.weight" in state else None

    def content(self, features: np.ndarray) -> np.ndarray:
        first, second = self.item_content
        return second(relu(first(np.asarray(features, dtype=np.float32))))

    def item_vectors(self, item_features: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Vectors (n + 1, dim) and biases (n + 1,) of every item index (row 0 = padding / unknown)."""
        vectors = self.item_id
        if self.item_content is not None and item_features is not None:
            vectors = vectors + self.content(item_features)
        return vectors, self.item_bias

    def encode(
        self,
        history: np.ndarray,
        items: np.ndarray,
        user_features: np.ndarray | None = None,
        *,
        last_only: bool = False,
    ) -> np.ndarray:
        """history (B, L <= max_len) item indices, left-padded with 0; the state after each position
        (B, L, dim), or after the last one only (B, 1, dim)."""
        length = history.shape[1]
        mask = (history > 0)[..., None].astype(np.float32)
        x = (items[history] + self.position[self.max_len - length :][None]) * mask
        for n, block in enumerate(self.blocks):
            if last_only and n == len(self.blocks) - 1:
                x = block(x, last_only=True)
                mask = mask[:, -1:]
            else:
                x = block(x)
            x = x * mask
        states = layer_norm(x, *self.norm) * mask
        if self.user_pref is not None and user_features is not None:
            states = states + self.user_pref(np.asarray(user_features, dtype=np.float32))[:, None]
        return states


class ServedRanker(BlendRanker):
    """ml.training.recommender.BundleRanker in numpy: the blend (sequential net + pruned EASE + pruned
    item-kNN) from its bundle, scoring any catalogue; rooms the bundle never saw get a vector from their
    content and no neighbour evidence."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        super().__init__(
            bundle,
            ease=Neighbours(index=bundle["ease_index"], value=bundle["ease_value"]),
            knn=Neighbours(index=bundle["knn_index"], value=bundle["knn_value"]),
        )
        self.model = SequentialNet(bundle["state_dict"], bundle["config"])

    @property
    def has_content(self) -> bool:
        return self.model.item_content is not None

    def catalogue(self, keys: Sequence[int], features: np.ndarray | None) -> Catalogue:
        """features (len(keys), F) in the order of keys, or None when the net has no content tower."""
        keys = [int(k) for k in keys]
        index = self.catalogue_index(keys)
        vectors = self.model.item_id[index]  # fancy indexing copies
        bias = self.model.item_bias[index]
        if self.model.item_content is not None and features is not None and len(keys):
            vectors[1:] += self.model.content(features)
        vectors[0] = 0.0
        bias[0] = 0.0
        return Catalogue.build(keys, vectors, bias, index)

    def sequential(self, catalogue: Catalogue, rows: list[int], preferences: Sequence[float] | None) -> np.ndarray:
        padded = np.array([left_padded(rows, self.model.max_len)], dtype=np.int64)
        prefs = (
            None
            if self.model.user_pref is None or preferences is None
            else np.array([list(preferences)], dtype=np.float32)
        )
        state = self.model.encode(padded, catalogue.vectors, prefs, last_only=True)[0, -1]
        # einsum, not BLAS: OpenBLAS spreads a product this size over threads, which on a busy machine wake
        # late (p95 over 30 ms at 10k rooms in bench/ml_latency.py); einsum's own loop takes ~0.1 ms.
        return np.einsum("ij,j->i", catalogue.vectors, state) + catalogue.bias


# --- trends ---------------------------------------------------------------------------------------------------


class TrendNet:
    """ml.nets.trends.TrendLSTM in eval mode."""

    def __init__(self, state: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.config = dict(config)
        self.horizon = int(config["horizon"])
        self.lstm = LSTM(state, "lstm")
        self.head_in = Linear.of(state, "head.0")
        self.head_out = Linear.of(state, "head.2")
        self.spread = state["spread"].astype(np.float32)
        self.anchor_logits = state["anchor_logits"].astype(np.float32)

    def __call__(self, window: np.ndarray, seasonal: np.ndarray) -> np.ndarray:
        """window (B, L, input_dim) scaled inputs; seasonal (B, H) scaled seasonal-naive values;
        returns (B, H, Q) scaled quantiles, sorted so the band never crosses."""
        window = np.asarray(window, dtype=np.float32)
        seasonal = np.asarray(seasonal, dtype=np.float32)
        _, hidden = self.lstm(window)
        last = np.broadcast_to(window[:, -1, 0:1], seasonal.shape)
        growth = np.clip(
            (window[:, -3:, 0].mean(1) + np.float32(0.05)) / (window[:, :3, 0].mean(1) + np.float32(0.05)),
            np.float32(0.5),
            np.float32(2.0),
        )
        anchors = np.stack([last, seasonal, seasonal * growth[:, None]], axis=-1)
        mix = (softmax(self.anchor_logits) * anchors).sum(-1)
        features = np.concatenate([hidden, anchors.reshape(len(anchors), -1)], axis=-1)
        correction = self.head_out(relu(self.head_in(features))).reshape(-1, self.horizon, len(QUANTILES))
        spread = np.exp(self.spread)[None, :, None] * np.array([-1.0, 0.0, 1.0], dtype=np.float32)[None, None]
        return np.sort(mix[..., None] * (1 + spread) + correction, axis=-1)

    def forecast(self, history: np.ndarray, *, first_month: int, horizon: int) -> np.ndarray:
        """ml.training.trends.trend_forecast_from with this net."""
        return trend_forecast_with(
            lambda window, seasonal: self(window, seasonal)[0],
            self.horizon,
            history,
            first_month=first_month,
            horizon=horizon,
        )


# --- session quality ------------------------------------------------------------------------------------------


class SessionNet:
    """ml.nets.session_quality.SessionQualityNet: embed, LSTM, additive attention over the real messages."""

    def __init__(self, state: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.config = dict(config)
        self.embed = Linear.of(state, "embed.0")
        self.lstm = LSTM(state, "lstm")
        self.attention = Linear.of(state, "attention")
        self.out = Linear.of(state, "out")

    def __call__(self, steps: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """steps (B, T, F), mask (B, T) True for real messages; (logits (B,), attention (B, T))."""
        states, _ = self.lstm(relu(self.embed(np.asarray(steps, dtype=np.float32))))
        scores = np.where(mask, self.attention(np.tanh(states))[..., 0], np.float32(-np.inf))
        weights = softmax(scores)
        context = (weights[..., None] * states).sum(1)
        last = states[np.arange(len(states)), np.maximum(mask.sum(1), 1) - 1]
        return self.out(np.concatenate([context, last], axis=-1))[:, 0], weights


def session_predict(net: SessionNet, steps: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """ml.training.session_quality.session_predict: probabilities and, per session, the attention over its
    (last MAX_STEPS) messages."""
    if not steps:
        return np.zeros(0), []
    batch, mask = session_arrays(steps)
    logits, weights = net(batch, mask)
    return sigmoid(logits), [weights[i, : int(n)] for i, n in enumerate(mask.sum(1).tolist())]
