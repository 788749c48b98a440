"""Torch set up per process: few threads, fixed seeds.

Web processes never load torch (they serve with numpy, ml.serving). A process that runs the nets outside
training (the benches, a champion scored on new data before training starts) uses ML_TORCH_THREADS
(default 1): a single small forward pass gains nothing from more threads, and on a busy 2-core machine extra
threads spin against other processes (measured in bench/ml_latency.py when torch served: p95 of a session
prediction 124 ms with 2 threads, 1 ms with 1). Training uses ML_TORCH_TRAIN_THREADS (default 2).
"""

from __future__ import annotations

import random

import numpy as np
import torch


def torch_setup(*, seed: int | None = None, training: bool = False) -> None:
    from django.conf import settings

    name = "ML_TORCH_TRAIN_THREADS" if training else "ML_TORCH_THREADS"
    threads = max(1, int(getattr(settings, name, 2 if training else 1)))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
