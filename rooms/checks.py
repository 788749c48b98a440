"""System checks: a misconfigured embedding backend or search method shows at start, not at the first search."""

from django.conf import settings
from django.core import checks

EMBEDDING_BACKENDS = ("use", "openai")


@checks.register()
def rooms_settings_check(app_configs=None, **kwargs):
    from rooms.selectors.search import METHODS

    problems = []
    backend = settings.ROOMS_EMBEDDING_BACKEND
    if backend not in EMBEDDING_BACKENDS:
        problems.append(
            checks.Error(
                f"ROOMS_EMBEDDING_BACKEND={backend!r} is not one of {', '.join(EMBEDDING_BACKENDS)}",
                id="rooms.E001",
            )
        )
    elif backend == "openai" and not settings.OPENAI_API_KEY:
        problems.append(
            checks.Warning(
                "ROOMS_EMBEDDING_BACKEND=openai but OPENAI_API_KEY is empty: the local model is used instead",
                id="rooms.W001",
            )
        )
    if settings.ROOMS_SEARCH_METHOD not in METHODS[:2]:
        problems.append(
            checks.Error(
                f"ROOMS_SEARCH_METHOD={settings.ROOMS_SEARCH_METHOD!r} is not rrf or weighted_sum", id="rooms.E002"
            )
        )
    if settings.ROOMS_SEARCH_KEYWORD_WEIGHT < 0 or settings.ROOMS_SEARCH_SEMANTIC_WEIGHT < 0:
        problems.append(checks.Error("search weights must not be negative", id="rooms.E003"))
    return problems
