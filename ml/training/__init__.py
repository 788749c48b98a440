"""Datasets, training loops and evaluation against baselines. Modules here import torch: load lazily."""
