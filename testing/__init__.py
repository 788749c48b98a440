"""Test support shared by every app's tests: factories that build users, the catalogue, reviews and chats.

Not one of the layered apps (see `[tool.importlinter]` in pyproject.toml): it builds data of all of them.
"""
