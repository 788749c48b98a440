"""`analyze_message "TEXT"` or `analyze_message --jsonl FILE`: one JSON object per message, with the configured
provider. Output per line: {"intent": ..., "entities": {region, genres, exclude_genres, players, difficulty,
room_name, max_price, fear, activity, reference, players_delta, adjust, topics}}, every key present (null or []).
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat.nlu.analyze import message_analyze


class Command(BaseCommand):
    help = "Print the intent and entities of a message (or of each {'text': ...} line of a JSONL file) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", help="the message to analyse")
        parser.add_argument("--jsonl", type=Path, help='a file of lines {"text": "..."}')

    def handle(self, *args, text=None, jsonl=None, **options):
        if (text is None) == (jsonl is None):
            raise CommandError('메시지("TEXT")나 --jsonl FILE 중 하나만 주세요')
        texts = [text] if jsonl is None else self._read_jsonl(jsonl)
        for item in texts:
            self._check(item)
        for item in texts:
            line = json.dumps(message_analyze(text=item).as_contract(), ensure_ascii=False)
            self.stdout.write(line)

    def _check(self, text: str, where: str = "") -> None:
        if not text.strip():
            raise CommandError(f"{where}메시지가 비어 있습니다")
        if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
            raise CommandError(f"{where}메시지가 {settings.CHAT_MAX_MESSAGE_CHARS}자를 넘습니다")

    def _read_jsonl(self, path: Path) -> list[str]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}을(를) 읽을 수 없습니다: {exc}") from exc
        texts = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{path}:{number}: JSON이 아닙니다 ({exc.msg})") from exc
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise CommandError(f'{path}:{number}: {{"text": "..."}} 형태의 객체여야 합니다')
            self._check(item["text"], f"{path}:{number}: ")
            texts.append(item["text"])
        return texts
