.PHONY: setup run test lint format bench

setup:
	bash scripts/setup.sh

run: setup
	bash scripts/run.sh

test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=escape_ai.settings.test .venv/bin/python manage.py check
	DJANGO_SETTINGS_MODULE=escape_ai.settings.test .venv/bin/python manage.py makemigrations --check --dry-run
	.venv/bin/pytest

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
