"""`message_analyze`: the configured provider's structured output, or the offline NLU when it fails."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass

from asgiref.sync import async_to_sync

from chat.llm.calls import LLMCallFailed, LLMUsage, input_tokens_bound, llm_ainvoke
from chat.llm.prompts import nlu_messages
from chat.llm.providers import ProviderChoice, ProviderUnavailable, chat_model_get, provider_choice
from chat.nlu.local import local_analyze, when_cleared
from chat.nlu.schema import MessageAnalysis
from chat.nlu.when import when_parse

logger = logging.getLogger(__name__)


@dataclass
class AnalysisOutcome:
    analysis: MessageAnalysis
    usage: LLMUsage


@functools.lru_cache(maxsize=1)
def schema_tokens_bound() -> int:
    # The structured-output tool's JSON schema is sent with every NLU call and billed as input.
    return len(json.dumps(MessageAnalysis.model_json_schema(), ensure_ascii=False).encode())


def nlu_tokens_bound(*, text: str) -> int:
    """The worst case the NLU call for `text` reserves in the token budget."""
    from django.conf import settings

    return input_tokens_bound(nlu_messages(text=text), extra=schema_tokens_bound()) + settings.LLM_MAX_TOKENS


def _structured(model):
    # include_raw keeps the AIMessage, whose usage_metadata carries the tokens we are billed for.
    return model.with_structured_output(MessageAnalysis, include_raw=True)


async def amessage_analyze_detailed(
    *, text: str, choice: ProviderChoice | None = None, user_id: int | None = None
) -> AnalysisOutcome:
    choice = choice or provider_choice()
    usage = LLMUsage(provider=choice.provider, model=choice.model)
    if choice.is_local:
        return AnalysisOutcome(local_analyze(text), usage)
    try:
        model = chat_model_get()
        result, usage = await llm_ainvoke(
            _structured(model),
            nlu_messages(text=text),
            choice=choice,
            user_id=user_id,
            extra_input_tokens=schema_tokens_bound(),
        )
        parsed = result.get("parsed") if isinstance(result, dict) else result
        if isinstance(parsed, dict):
            parsed = MessageAnalysis.model_validate(parsed)
        if not isinstance(parsed, MessageAnalysis):
            raise LLMCallFailed(f"invalid:{type(result.get('parsing_error')).__name__}", usage)
        return AnalysisOutcome(_with_when(parsed, text), usage)
    except LLMCallFailed as exc:
        usage = exc.usage
        usage.error = exc.reason
    except (ProviderUnavailable, NotImplementedError, ValueError) as exc:
        usage.error = type(exc).__name__
    logger.warning("NLU fell back to the offline analyser", extra={"provider": choice.provider, "error": usage.error})
    usage.fallback = True
    return AnalysisOutcome(local_analyze(text), usage)


def _with_when(analysis: MessageAnalysis, text: str) -> MessageAnalysis:
    """The LLM's analysis with the time window read by `chat.nlu.when`: the same window for the same words, and
    relative days read against our clock, not the model's idea of today."""
    entities = analysis.entities
    adjust = [item for item in entities.adjust if item != "drop_when"]
    if when_cleared(text):
        adjust.append("drop_when")
    update = {"when": when_parse(text), "adjust": adjust}
    intent = analysis.intent
    if update["when"] is not None and intent == "general_chat":
        intent = "room_recommendation"  # "내일 저녁은?" in a search is a condition
    return MessageAnalysis(intent=intent, entities=entities.model_copy(update=update))


def message_analyze_detailed(*, text: str) -> AnalysisOutcome:
    choice = provider_choice()
    if choice.is_local:
        return AnalysisOutcome(local_analyze(text), LLMUsage(provider=choice.provider, model=choice.model))
    return async_to_sync(amessage_analyze_detailed)(text=text, choice=choice)


def message_analyze(*, text: str) -> MessageAnalysis:
    """Intent and entities of one message with the configured provider (offline fallback on any failure)."""
    return message_analyze_detailed(text=text).analysis
