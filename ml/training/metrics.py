"""Evaluation metrics, in numpy so baselines and nets are scored by the same code."""

from __future__ import annotations

import numpy as np


def rank_of_target(scores: np.ndarray, target: int) -> int:
    """0-based rank of the target among the scores (ties count against the target)."""
    return int((scores > scores[target]).sum() + (scores == scores[target]).sum() - 1)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - forecast)) / max(scale, 1e-8))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a month where both are 0 counts as exact."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.where(
        denominator == 0, 0.0, 2.0 * np.abs(actual - forecast) / np.where(denominator == 0, 1, denominator)
    )
    return float(100.0 * ratio.mean())


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U), ties averaged."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=float)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
