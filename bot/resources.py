"""Where the bot's own files are: content, translations and the example config.

In a checkout they sit at the top of the repository, where editors find them; an installed
package carries them as bot/resources/… (pyproject.toml maps them there), so `pip install .`
gives a bot that runs from any directory. A checkout always wins, so edited content is read
without reinstalling.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _find(checkout_name: str, installed: Path) -> Path:
    in_checkout = _CHECKOUT / checkout_name
    return in_checkout if (_CHECKOUT / "pyproject.toml").exists() else installed


CONTENT_DIR = _find("content", _PACKAGE / "resources" / "content")
LOCALES_DIR = _find("locales", _PACKAGE / "resources" / "locales")
EXAMPLE_CONFIG = _find(
    "config.example.yaml", _PACKAGE / "resources" / "example" / "config.example.yaml"
)
