"""System check: warn at start-up when LLM_PROVIDER is set but its package or API key is missing."""

from django.core import checks

from chat.llm.providers import provider_problems


@checks.register(checks.Tags.compatibility)
def llm_provider_check(app_configs, **kwargs):
    return [
        checks.Warning(
            problem,
            hint="The chat falls back to the offline 'local' provider until this is fixed.",
            id="chat.W001",
        )
        for problem in provider_problems()
    ]
