"""A two-tower recommender over interactions and content, so cold users and cold rooms still score.

Index 0 of the user and item id tables is reserved for "unknown": a user or room the model never
saw is scored from its content (room genres/region/difficulty/fear/embedding) and the user's
declared preferences and history alone. Id dropout during training teaches the towers to work
without the id embeddings.
"""

from __future__ import annotations

import torch
from torch import nn


class HybridRecommender(nn.Module):
    def __init__(
        self,
        *,
        n_users: int,
        n_items: int,
        item_feature_dim: int,
        user_feature_dim: int,
        dim: int = 32,
        id_dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.config = {
            "n_users": n_users,
            "n_items": n_items,
            "item_feature_dim": item_feature_dim,
            "user_feature_dim": user_feature_dim,
            "dim": dim,
            "id_dropout": id_dropout,
        }
        self.id_dropout = id_dropout
        self.user_id = nn.Embedding(n_users + 1, dim)
        self.item_id = nn.Embedding(n_items + 1, dim)
        self.item_bias = nn.Embedding(n_items + 1, 1)
        nn.init.normal_(self.user_id.weight, std=0.05)
        nn.init.normal_(self.item_id.weight, std=0.05)
        nn.init.zeros_(self.item_bias.weight)
        self.item_content = (
            nn.Sequential(nn.Linear(item_feature_dim, 64), nn.ReLU(), nn.Linear(64, dim)) if item_feature_dim else None
        )
        self.content_bias = nn.Linear(item_feature_dim, 1) if item_feature_dim else None
        self.user_pref = nn.Linear(user_feature_dim, dim, bias=False) if user_feature_dim else None
        # Mixes the mean of the history's item vectors into the user vector.
        self.history_proj = nn.Linear(dim, dim, bias=False)

    def item_vectors(self, item_features: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Vectors and biases for every item index 1..n (row 0 = the unknown item)."""
        ids = self.item_id.weight
        bias = self.item_bias.weight.squeeze(-1)
        if self.training and self.id_dropout > 0:
            keep = (torch.rand(ids.shape[0], 1, device=ids.device) > self.id_dropout).float()
            ids = ids * keep
            bias = bias * keep.squeeze(-1)
        vectors = ids
        if self.item_content is not None and item_features is not None:
            vectors = vectors + self.item_content(item_features)
            bias = bias + self.content_bias(item_features).squeeze(-1)
        return vectors, bias

    def user_vectors(
        self,
        user_idx: torch.Tensor,
        history: torch.Tensor,
        item_vectors: torch.Tensor,
        user_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """user_idx (B,), history (B, H) item indices padded with 0, user_features (B, F)."""
        if self.training and self.id_dropout > 0:
            user_idx = user_idx * (torch.rand(user_idx.shape, device=user_idx.device) > self.id_dropout).long()
        vector = self.user_id(user_idx)
        mask = (history > 0).float().unsqueeze(-1)
        pooled = (item_vectors[history] * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        vector = vector + self.history_proj(pooled)
        if self.user_pref is not None and user_features is not None:
            vector = vector + self.user_pref(user_features)
        return vector

    def forward(
        self,
        user_idx: torch.Tensor,
        history: torch.Tensor,
        item_features: torch.Tensor | None = None,
        user_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, n_items + 1) over every item (full ranking; column 0 is never a target)."""
        items, bias = self.item_vectors(item_features)
        users = self.user_vectors(user_idx, history, items, user_features)
        return users @ items.T + bias
