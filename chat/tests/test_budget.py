"""The daily token budget under concurrency: reserved before each call, settled after, never overshot."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from langchain_core.outputs import ChatGeneration, ChatResult

from chat.llm.budget import tokens_used_today
from chat.llm.prompts import NLU_SYSTEM
from chat.llm.providers import chat_model_override
from chat.models import ChatMessage
from chat.services import ChatBudgetExceeded, conversation_reply
from chat.tests.conftest import FakeToolChatModel, nlu_message, reply_message

NLU_USAGE = (900, 40)
REPLY_USAGE = (700, 150)


class ScriptedModel(FakeToolChatModel):
    """Answers each call by what it is asked (the NLU's structured output, or a reply), so parallel turns
    never take each other's answers; reports usage well inside what each call reserved."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        if messages[0].content == NLU_SYSTEM:
            message = nlu_message("general_chat", input_tokens=NLU_USAGE[0], output_tokens=NLU_USAGE[1])
        else:
            message = reply_message(
                "반가워요! 원하는 지역과 인원을 말해 주세요.", input_tokens=REPLY_USAGE[0], output_tokens=REPLY_USAGE[1]
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


@pytest.mark.django_db(transaction=True)
def test_20_parallel_turns_never_overshoot_the_budget(user, committed_catalogue, settings):
    budget = 12_000
    settings.CHAT_DAILY_TOKEN_BUDGET = budget
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def turn(_: int) -> None:
        start.wait()
        try:
            result = conversation_reply(user=user, session_id=None, text="안녕 반가워")
            outcome = "offline" if result.message.fallback else "llm"
        except ChatBudgetExceeded:
            outcome = "429"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    model = ScriptedModel(messages=iter(()))
    with chat_model_override(model, provider="openai", model_name="gpt-4o-mini"), ThreadPoolExecutor(20) as pool:
        list(pool.map(turn, range(20)))

    used = tokens_used_today(user_id=user.id)
    billed = sum(m.input_tokens + m.output_tokens for m in ChatMessage.objects.filter(session__user=user))
    print(
        f"20 parallel turns, budget {budget}: {outcomes.count('llm')} answered by the LLM, "
        f"{outcomes.count('offline')} by the templates, {outcomes.count('429')} refused; {used} tokens spent"
    )
    assert len(outcomes) == 20
    assert used <= budget
    assert used == billed  # every reservation settled to exactly what the provider reported
    assert outcomes.count("llm") >= 1 and outcomes.count("llm") < 20  # the budget decided, not the luck of timing
