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
from ml.training.sessions import LogisticRegression, session_arrays, session_summary


def session_batch(steps: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pads (keeping the last MAX_STEPS messages) into (B, T, F) and a (B, T) mask, as tensors."""
    out, mask = session_arrays(steps)
    return torch.from_numpy(out), torch.from_numpy(mask)


@dataclass
class SessionSet:
    steps: list[np.ndarray]  # each (T_i, F)
    labels: np.ndarray  # (N,)

    def subset(self, index: np.ndarray) -> SessionSet:
        return SessionSet(steps=[self.steps[i] for i in index], labels=self.labels[index])


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
