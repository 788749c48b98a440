"""Torch set up once per process: few threads (2-core machines, web workers share them), fixed seeds."""

from __future__ import annotations

import random

import numpy as np
import torch

_configured = False


def torch_setup(*, seed: int | None = None) -> None:
    global _configured
    if not _configured:
        from django.conf import settings

        threads = getattr(settings, "ML_TORCH_THREADS", 2) if settings.configured else 2
        torch.set_num_threads(max(1, int(threads)))
        _configured = True
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
