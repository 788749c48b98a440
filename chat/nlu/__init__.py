"""Understanding a chat message: `message_analyze(*, text) -> MessageAnalysis`."""

from chat.nlu.schema import Entities, MessageAnalysis

__all__ = ["Entities", "MessageAnalysis"]
