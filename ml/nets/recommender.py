"""A sequential recommender (SASRec-style self-attention over the user's history) with a content tower.

Items are vectors of an id embedding plus a content tower over the room's features (genres, region,
difficulty, fear, text embedding), so a room the model never saw (index 0 of the id table = "unknown")
still gets a vector from its content. Id dropout during training teaches the model to rank from content
alone. The user is the state after the last item of the history (causal self-attention over the last
`max_len` items, oldest first, left-padded with 0), plus their declared preferences.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional


class CausalBlock(nn.Module):
    """Pre-norm self-attention block; each position sees itself and the positions before it.
    (Written out with scaled_dot_product_attention: nn.TransformerEncoderLayer measured several times
    slower on this CPU for these tiny shapes. Dropout is on the residual branches only: a dropout mask
    per attention matrix cost a quarter of a training step.)"""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.feed = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """(B, L, dim) -> (B, L, dim), or (B, 1, dim) for the last position alone with last_only (the same
        numbers as the last row of the full output: serving needs no other)."""
        batch, length, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        if last_only:  # the last position sees every position: no mask needed
            attended = functional.scaled_dot_product_attention(q[:, :, -1:], k, v)
            x = x[:, -1:]
            length = 1
        else:
            attended = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.proj(attended.transpose(1, 2).reshape(batch, length, dim)))
        return x + self.drop(self.feed(self.norm2(x)))


class SequentialRecommender(nn.Module):
    def __init__(
        self,
        *,
        n_items: int,
        item_feature_dim: int = 0,
        user_feature_dim: int = 0,
        dim: int = 64,
        max_len: int = 50,
        layers: int = 2,
        heads: int = 2,
        dropout: float = 0.2,
        id_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.config = {
            "n_items": n_items,
            "item_feature_dim": item_feature_dim,
            "user_feature_dim": user_feature_dim,
            "dim": dim,
            "max_len": max_len,
            "layers": layers,
            "heads": heads,
            "dropout": dropout,
            "id_dropout": id_dropout,
        }
        self.max_len = max_len
        self.id_dropout = id_dropout
        self.item_id = nn.Embedding(n_items + 1, dim, padding_idx=0)
        nn.init.normal_(self.item_id.weight, std=0.05)
        with torch.no_grad():
            self.item_id.weight[0].zero_()
        self.item_bias = nn.Embedding(n_items + 1, 1)
        nn.init.zeros_(self.item_bias.weight)
        self.item_content = (
            nn.Sequential(nn.Linear(item_feature_dim, 64), nn.ReLU(), nn.Linear(64, dim)) if item_feature_dim else None
        )
        self.position = nn.Embedding(max_len, dim)
        nn.init.normal_(self.position.weight, std=0.05)
        self.blocks = nn.ModuleList(CausalBlock(dim, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.input_dropout = nn.Dropout(dropout)
        self.user_pref = nn.Linear(user_feature_dim, dim, bias=False) if user_feature_dim else None

    def item_vectors(self, item_features: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Vectors (n + 1, dim) and biases (n + 1,) of every item index (row 0 = padding / unknown)."""
        ids = self.item_id.weight
        bias = self.item_bias.weight.squeeze(-1)
        if self.training and self.id_dropout > 0:
            keep = (torch.rand(ids.shape[0], 1, device=ids.device) > self.id_dropout).float()
            ids = ids * keep
            bias = bias * keep.squeeze(-1)
        if self.item_content is not None and item_features is not None:
            ids = ids + self.item_content(item_features)
        return ids, bias

    def encode(
        self,
        history: torch.Tensor,
        items: torch.Tensor,
        user_features: torch.Tensor | None = None,
        *,
        last_only: bool = False,
    ) -> torch.Tensor:
        """history (B, L <= max_len) item indices, left-padded with 0.

        Returns the state after each position (B, L, dim), or after the last one only (B, 1, dim)."""
        length = history.shape[1]
        mask = (history > 0).unsqueeze(-1).float()
        x = items[history] + self.position.weight[self.max_len - length :].unsqueeze(0)
        x = self.input_dropout(x) * mask
        for n, block in enumerate(self.blocks):
            if last_only and n == len(self.blocks) - 1:
                x = block(x, last_only=True)
                mask = mask[:, -1:]
            else:
                x = block(x)
            x = x * mask
        states = self.norm(x) * mask
        if self.user_pref is not None and user_features is not None:
            states = states + self.user_pref(user_features).unsqueeze(1)
        return states

    def user_state(
        self,
        history: torch.Tensor,
        item_features: torch.Tensor | None = None,
        user_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, dim): the state after the last item of each history."""
        items, _ = self.item_vectors(item_features)
        return self.encode(history[:, -self.max_len :], items, user_features)[:, -1]

    def forward(
        self,
        history: torch.Tensor,
        item_features: torch.Tensor | None = None,
        user_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, n_items + 1) of the next item after each history (column 0 is never a target)."""
        items, bias = self.item_vectors(item_features)
        state = self.encode(history[:, -self.max_len :], items, user_features)[:, -1]
        return state @ items.T + bias
