"""Session-quality training: the LSTM + attention net against logistic regression on session totals.

A session is a (T, F) array of per-message features (oldest first) and a label (1 = it ended
well). Both models are fitted on the older sessions and scored by ROC-AUC on the newest ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ml.nets.session_quality import SessionQualityNet
from ml.training.metrics import roc_auc
from ml.training.runtime import torch_setup

MAX_STEPS = 24


@dataclass
class SessionSet:
    steps: list[np.ndarray]  # each (T_i, F)
    labels: np.ndarray  # (N,)

    def subset(self, index: np.ndarray) -> SessionSet:
        return SessionSet(steps=[self.steps[i] for i in index], labels=self.labels[index])


def session_batch(steps: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pads (keeping the last MAX_STEPS messages) into (B, T, F) and a (B, T) mask."""
    width = steps[0].shape[1]
    length = max(1, min(MAX_STEPS, max(len(s) for s in steps)))
    out = np.zeros((len(steps), length, width), dtype=np.float32)
    mask = np.zeros((len(steps), length), dtype=bool)
    for i, s in enumerate(steps):
        s = s[-MAX_STEPS:]
        out[i, : len(s)] = s
        mask[i, : len(s)] = True
        if len(s) == 0:
            mask[i, 0] = True  # an empty session is one all-zero message rather than a NaN softmax
    return torch.from_numpy(out), torch.from_numpy(mask)


def session_summary(steps: list[np.ndarray]) -> np.ndarray:
    """Session-level features for the baseline: mean and last message features, and the length."""
    rows = []
    for s in steps:
        if len(s) == 0:
            s = np.zeros((1, steps[0].shape[1] if steps else 1), dtype=np.float32)
        rows.append(np.concatenate([s.mean(0), s[-1], [np.log1p(len(s))]]))
    return np.array(rows, dtype=np.float64)


@dataclass
class LogisticRegression:
    """Plain L2-regularised logistic regression (numpy, Newton steps); features standardised."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 25) -> LogisticRegression:
        mean, std = x.mean(0), x.std(0) + 1e-6
        z = (x - mean) / std
        design = np.hstack([z, np.ones((len(z), 1))])
        theta = np.zeros(design.shape[1])
        penalty = np.eye(design.shape[1]) * l2
        penalty[-1, -1] = 0.0
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-design @ theta))
            gradient = design.T @ (p - y) + penalty @ theta
            hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
            theta -= np.linalg.solve(hessian, gradient)
        return cls(weights=theta[:-1], bias=float(theta[-1]), mean=mean, std=std)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.std) @ self.weights + self.bias)))

    def to_dict(self) -> dict:
        return {
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> LogisticRegression:
        return cls(
            weights=np.array(data["weights"]),
            bias=float(data["bias"]),
            mean=np.array(data["mean"]),
            std=np.array(data["std"]),
        )


def session_train(
    sessions: SessionSet, *, epochs: int = 30, hidden: int = 32, lr: float = 0.005, batch_size: int = 64, seed: int = 0
) -> tuple[SessionQualityNet, list[float]]:
    torch_setup(seed=seed, training=True)
    rng = np.random.default_rng(seed)
    model = SessionQualityNet(feature_dim=sessions.steps[0].shape[1], hidden=hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    labels = torch.tensor(sessions.labels, dtype=torch.float32)
    losses = []
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(sessions.steps))
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            steps, mask = session_batch([sessions.steps[i] for i in index])
            logits, _ = model(steps, mask)
            loss = loss_fn(logits, labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        losses.append(total / len(order))
    model.eval()
    return model, losses


def session_predict(model: SessionQualityNet, steps: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Probabilities and, per session, the attention over its (last MAX_STEPS) messages."""
    if not steps:
        return np.zeros(0), []
    with torch.no_grad():
        batch, mask = session_batch(steps)
        logits, weights = model(batch, mask)
    lengths = mask.sum(1).tolist()
    return torch.sigmoid(logits).numpy(), [weights[i, : int(n)].numpy() for i, n in enumerate(lengths)]


def session_split(n: int, *, valid_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Sessions arrive oldest first: the newest quarter is the validation set."""
    cut = round(n * (1 - valid_fraction))
    return np.arange(cut), np.arange(cut, n)


def session_compare(
    sessions: SessionSet, *, epochs: int = 30, seed: int = 0
) -> tuple[SessionQualityNet, LogisticRegression, dict[str, dict[str, float]], list[float]]:
    train_index, valid_index = session_split(len(sessions.steps))
    train, valid = sessions.subset(train_index), sessions.subset(valid_index)
    model, losses = session_train(train, epochs=epochs, seed=seed)
    baseline = LogisticRegression.fit(session_summary(train.steps), train.labels)
    table = {
        "model": {"roc_auc": roc_auc(valid.labels, session_predict(model, valid.steps)[0])},
        "logistic_regression": {"roc_auc": roc_auc(valid.labels, baseline.predict(session_summary(valid.steps)))},
    }
    return model, baseline, table, losses


def session_bounds(sessions: SessionSet, *, epochs: int = 30, seed: int = 0) -> dict[str, float]:
    """Evidence of what limits the validation AUC: the fit on the training sessions themselves (features:
    a model that cannot separate the sessions it learned from is short of signal, not of capacity) and
    the validation AUC with half of the training sessions (data size: a flat curve says more sessions of
    the same kind would not help)."""
    train_index, valid_index = session_split(len(sessions.steps))
    train, valid = sessions.subset(train_index), sessions.subset(valid_index)
    half = train.subset(np.arange(len(train.steps) // 2, len(train.steps)))  # the newer half
    model, _ = session_train(train, epochs=epochs, seed=seed)
    model_half, _ = session_train(half, epochs=epochs, seed=seed)
    baseline = LogisticRegression.fit(session_summary(train.steps), train.labels)
    return {
        "model AUC on its own training sessions": roc_auc(train.labels, session_predict(model, train.steps)[0]),
        "logistic regression AUC on its training sessions": roc_auc(
            train.labels, baseline.predict(session_summary(train.steps))
        ),
        "model AUC on validation, trained on half the older sessions": roc_auc(
            valid.labels, session_predict(model_half, valid.steps)[0]
        ),
        "model AUC on validation, trained on all of them": roc_auc(
            valid.labels, session_predict(model, valid.steps)[0]
        ),
    }
