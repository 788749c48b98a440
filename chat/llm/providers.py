"""The LLM provider registry: the only module that imports LangChain provider packages.

Providers are dotted paths imported on first use (as Healthchecks keeps its transports), so a process that
runs the offline `local` provider never imports openai, anthropic or google packages. A Django system check
(`chat.checks`) warns when `LLM_PROVIDER` names a provider whose package or key is missing.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

LOCAL = "local"


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    class_path: str | None  # a LangChain chat model class; None for the offline provider
    default_model: str
    key_setting: str | None  # the setting that must hold an API key, if the provider needs one

    @property
    def package(self) -> str | None:
        return self.class_path.rsplit(".", 1)[0] if self.class_path else None


PROVIDERS: dict[str, ProviderSpec] = {
    LOCAL: ProviderSpec(LOCAL, None, "local-templates", None),
    "openai": ProviderSpec("openai", "langchain_openai.ChatOpenAI", "gpt-4o-mini", "OPENAI_API_KEY"),
    "anthropic": ProviderSpec(
        "anthropic", "langchain_anthropic.ChatAnthropic", "claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"
    ),
    "google": ProviderSpec(
        "google", "langchain_google_genai.ChatGoogleGenerativeAI", "gemini-2.0-flash", "GOOGLE_API_KEY"
    ),
    "ollama": ProviderSpec("ollama", "langchain_ollama.ChatOllama", "llama3.1:8b", None),
}


@dataclass(frozen=True)
class ProviderChoice:
    provider: str
    model: str

    @property
    def is_local(self) -> bool:
        return self.provider == LOCAL


class ProviderUnavailable(Exception):
    """The configured provider cannot be built (unknown name, missing package or key)."""


_override_lock = threading.Lock()
_override: tuple[ProviderChoice, Any] | None = None
_built: dict[tuple[str, str, str], Any] = {}
_built_lock = threading.Lock()


def provider_choice() -> ProviderChoice:
    """The provider and model in force (a test override wins over settings)."""
    if _override is not None:
        return _override[0]
    name = (settings.LLM_PROVIDER or LOCAL).strip().lower()
    spec = PROVIDERS.get(name)
    if spec is None:
        return ProviderChoice(name, settings.LLM_MODEL or "")
    return ProviderChoice(name, settings.LLM_MODEL or spec.default_model)


def _import_class(path: str):
    module_name, class_name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)


def _constructor_kwargs(spec: ProviderSpec, model: str) -> dict[str, Any]:
    timeout = settings.LLM_TIMEOUT_SECONDS
    max_tokens = settings.LLM_MAX_TOKENS  # every provider: no answer longer than this is generated (or billed)
    key = getattr(settings, spec.key_setting, "") if spec.key_setting else ""
    # Retries are ours (chat.llm.calls), so the client itself never retries behind our back.
    if spec.name == "openai":
        kwargs = {
            "model": model,
            "api_key": key,
            "timeout": timeout,
            "max_retries": 0,
            "stream_usage": True,
            "max_tokens": max_tokens,
        }
        if getattr(settings, "OPENAI_BASE_URL", ""):
            kwargs["base_url"] = settings.OPENAI_BASE_URL
        return kwargs
    if spec.name == "anthropic":
        kwargs = {"model": model, "api_key": key, "timeout": timeout, "max_retries": 0, "max_tokens": max_tokens}
        if settings.ANTHROPIC_BASE_URL:
            kwargs["base_url"] = settings.ANTHROPIC_BASE_URL
        return kwargs
    if spec.name == "google":
        return {
            "model": model,
            "google_api_key": key,
            "timeout": timeout,
            "max_retries": 0,
            "max_output_tokens": max_tokens,
        }
    if spec.name == "ollama":
        return {
            "model": model,
            "base_url": settings.OLLAMA_BASE_URL,
            "client_kwargs": {"timeout": timeout},
            "num_predict": max_tokens,
        }
    raise ProviderUnavailable(f"unknown provider {spec.name}")


def provider_problems(name: str | None = None) -> list[str]:
    """Why the provider cannot work here (empty when it can). Used by the system check and the factory."""
    name = (name if name is not None else settings.LLM_PROVIDER or LOCAL).strip().lower()
    spec = PROVIDERS.get(name)
    if spec is None:
        return [f"LLM_PROVIDER={name!r} is not one of {', '.join(PROVIDERS)}"]
    problems = []
    if spec.package and importlib.util.find_spec(spec.package) is None:
        problems.append(f"LLM_PROVIDER={name} needs the Python package {spec.package.replace('_', '-')}")
    if spec.key_setting and not getattr(settings, spec.key_setting, ""):
        problems.append(f"LLM_PROVIDER={name} needs {spec.key_setting}")
    return problems


def chat_model_get() -> BaseChatModel | None:
    """The configured LangChain chat model, built once per process; None for the offline provider."""
    if _override is not None:
        return _override[1]
    choice = provider_choice()
    if choice.is_local:
        return None
    problems = provider_problems(choice.provider)
    if problems:
        raise ProviderUnavailable("; ".join(problems))
    spec = PROVIDERS[choice.provider]
    kwargs = _constructor_kwargs(spec, choice.model)
    cache_key = (choice.provider, choice.model, repr(sorted(kwargs.items())))
    with _built_lock:
        if cache_key not in _built:
            _built[cache_key] = _import_class(spec.class_path)(**kwargs)
        return _built[cache_key]


@contextlib.contextmanager
def chat_model_override(model: Any, *, provider: str = "openai", model_name: str = "gpt-4o-mini") -> Iterator[None]:
    """Use `model` (e.g. a LangChain fake chat model) as the configured provider's model.

    The test seam: tests feed recorded outputs through LangChain's fake chat models instead of a paid API.
    """
    global _override
    with _override_lock:
        previous = _override
        _override = (ProviderChoice(provider, model_name), model)
    try:
        yield
    finally:
        with _override_lock:
            _override = previous
