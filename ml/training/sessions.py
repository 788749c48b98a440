"""Session quality without torch: padding a batch of sessions, the session totals and the logistic-regression
baseline. Training (ml.training.session_quality) and the web process's numpy serving (ml.serving) share them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_STEPS = 24


def session_arrays(steps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pads (keeping the last MAX_STEPS messages) into (B, T, F) float32 and a (B, T) mask."""
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
    return out, mask


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
