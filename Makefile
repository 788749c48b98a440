.PHONY: setup run test lint format bench

setup:
	bash scripts/setup.sh

run: setup
	bash scripts/run.sh

# Tests include the browser tests: setup installs chromium and fonts-nanum for them (prerequisites
# inherit target-specific variables, so `setup` sees it too).
test: export WITH_BROWSER = 1
test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	DJANGO_SETTINGS_MODULE=escape_ai.settings.test .venv/bin/python manage.py check
	DJANGO_SETTINGS_MODULE=escape_ai.settings.test .venv/bin/python manage.py makemigrations --check --dry-run
	.venv/bin/pytest

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
