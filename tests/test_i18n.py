"""Interface strings: complete in every language, extracted from the code, per conversation."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.pofile import read_po

from bot.config import EmergencyKind, PartnerKind, ServiceKind, load_config
from bot.i18n import LOCALES_DIR, Catalogs, _, current_language, use_language
from bot.labels import EMERGENCY_LABELS, PARTNER_LABELS, SERVICE_LABELS
from tests.conftest import ROOT

LANGUAGES = load_config(ROOT / "config.example.yaml").languages
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def template_ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}  # type: ignore[misc]


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    pybabel = Path(ROOT / ".venv" / "bin" / "pybabel")
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(pybabel) if pybabel.exists() else "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            "bot",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert template_ids(fresh) == template_ids(LOCALES_DIR / "messages.pot"), (
        "run `make locales-update` and translate the new strings"
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_is_translated(lang: str) -> None:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    expected = template_ids(LOCALES_DIR / "messages.pot")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert expected - translated == set()
    for message in catalog:
        if message.id and "{" in str(message.id):
            expected_names = {p.split("}")[0] for p in str(message.id).split("{")[1:]}
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for form in forms:  # plural forms: as many as the language has
                names = {p.split("}")[0] for p in str(form).split("{")[1:]}
                assert names == expected_names, form


def test_every_config_vocabulary_value_has_a_label() -> None:
    assert set(SERVICE_LABELS) == set(get_args(ServiceKind))
    assert set(PARTNER_LABELS) == set(get_args(PartnerKind))
    assert set(EMERGENCY_LABELS) == set(get_args(EmergencyKind))


async def test_language_is_per_conversation_under_concurrency() -> None:
    catalogs = Catalogs(["fr", "nl", "en"])
    seen: dict[str, list[str]] = {"fr": [], "nl": []}

    async def conversation(lang: str) -> None:
        with use_language(catalogs, lang):
            for _round in range(20):
                await asyncio.sleep(0)  # let the other conversation run in between
                seen[lang].append(_("Menu") + "|" + _("Next") + "|" + current_language())

    await asyncio.gather(conversation("fr"), conversation("nl"))
    assert set(seen["fr"]) == {"Menu|Suivant|fr"}
    assert set(seen["nl"]) == {"Menu|Volgende|nl"}
