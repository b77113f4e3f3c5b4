"""Each kind of mistake in the config or content gets its own `file: field: problem` line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.checks import check_everything
from bot.errors import ValidationFailed
from bot.runtime import open_runtime
from bot.settings import load_settings
from tests.conftest import ROOT


@pytest.fixture
def org(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


async def problems(org: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        await check_everything(org / "config.yaml", org / "content")
    return caught.value.problems


async def test_bundled_config_and_content_pass(org: Path) -> None:
    result = await check_everything(org / "config.yaml", org / "content", today=date(2026, 11, 22))
    assert result.config.example_data is True
    assert set(result.content.texts) == {"fr", "nl", "en", "es", "pt", "ro", "bg"}
    assert result.warnings == []


async def test_missing_language(org: Path) -> None:
    shutil.rmtree(org / "content" / "nl")
    found = await problems(org)
    assert found == [f"{org / 'content' / 'nl'}: missing: no content for configured language nl"]


async def test_missing_topic_in_one_language(org: Path) -> None:
    (org / "content" / "fr" / "rights.yaml").unlink()
    found = await problems(org)
    assert found == [
        f"{org / 'content' / 'fr' / 'rights.yaml'}: missing: topic 'rights' has no fr text"
    ]


async def test_unknown_topic_link(org: Path) -> None:
    edit_yaml(
        org / "content" / "topics.yaml", lambda d: d["topics"]["pep"]["related"].append("prepp")
    )
    found = await problems(org)
    assert found == [
        f"{org / 'content' / 'topics.yaml'}: topics.pep.related: unknown topic 'prepp'"
    ]


async def test_bad_hours(org: Path) -> None:
    edit_yaml(org / "config.yaml", lambda d: d["locations"][0]["hours"].update(mon=["09:00-25:00"]))
    found = await problems(org)
    assert found == [
        f"{org / 'config.yaml'}: locations.0[charleroi].hours: '09:00-25:00' has an impossible time"
    ]


async def test_hours_that_end_before_they_start_or_overlap(org: Path) -> None:
    edit_yaml(org / "config.yaml", lambda d: d["locations"][0]["hours"].update(tue=["12:00-09:00"]))
    assert "ends before it starts" in (await problems(org))[0]
    edit_yaml(
        org / "config.yaml",
        lambda d: d["locations"][0]["hours"].update(tue=["09:00-12:00", "11:00-14:00"]),
    )
    assert "tue: 09:00-12:00 and 11:00-14:00 overlap" in (await problems(org))[0]


async def test_missing_field(org: Path) -> None:
    edit_yaml(org / "config.yaml", lambda d: d["locations"][1].pop("services"))
    edit_yaml(org / "content" / "en" / "prep.yaml", lambda d: d.pop("short"))
    found = await problems(org)
    assert (
        f"{org / 'config.yaml'}: locations.1[louvain-la-neuve].services: required field is missing"
        in found
    )


async def test_missing_field_in_content(org: Path) -> None:
    edit_yaml(org / "content" / "en" / "prep.yaml", lambda d: d.pop("short"))
    assert await problems(org) == [
        f"{org / 'content' / 'en' / 'prep.yaml'}: short: required field is missing"
    ]


async def test_misspelt_field_and_bad_phone(org: Path) -> None:
    edit_yaml(
        org / "config.yaml", lambda d: d["locations"][0].update(adress="x", phones=["call me"])
    )
    found = await problems(org)
    assert (
        f"{org / 'config.yaml'}: locations.0[charleroi].adress: unknown field (check the spelling)"
        in found
    )
    assert any("phones" in line and "'call me' is not a phone number" in line for line in found)


async def test_note_missing_a_language(org: Path) -> None:
    edit_yaml(org / "config.yaml", lambda d: d["locations"][1]["note"].pop("nl"))
    assert "louvain-la-neuve: note has no text for nl" in (await problems(org))[0]


async def test_action_naming_an_unknown_place(org: Path) -> None:
    edit_yaml(
        org / "content" / "topics.yaml",
        lambda d: d["topics"]["pep"]["actions"].append("call:nowhere"),
    )
    assert "'call:nowhere' names no place or partner" in (await problems(org))[0]


async def test_past_review_date_is_a_warning(org: Path) -> None:
    result = await check_everything(org / "config.yaml", org / "content", today=date(2027, 6, 1))
    assert len(result.warnings) == 12 * 7
    assert "review.next_review: 2027-05-22 is past" in result.warnings[0]


async def test_broken_yaml_names_the_line(org: Path) -> None:
    (org / "content" / "fr" / "pep.yaml").write_text("title: [unclosed\n")
    assert (await problems(org))[0].startswith(f"{org / 'content' / 'fr' / 'pep.yaml'}: line ")


def test_cli_exits_1_with_file_and_field(org: Path, tmp_path: Path) -> None:
    edit_yaml(org / "config.yaml", lambda d: d.update(default_language="de"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        env={
            "BOT_CONFIG": str(org / "config.yaml"),
            "BOT_CONTENT": str(org / "content"),
            "BOT_DATA_DIR": str(tmp_path / "data"),
            "BOT_SECRET_KEY": "x" * 40,
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert f"{org / 'config.yaml'}: default_language: Input should be" in result.stderr


async def test_a_delay_said_differently_in_one_language(org: Path) -> None:
    pep = org / "content" / "nl" / "pep.yaml"
    pep.write_text(pep.read_text().replace("72 uur", "3 dagen"))
    found = await problems(org)
    assert f"{pep}: text: 'span 72 hour' is in the fr text but not here" in found
    assert f"{pep}: text: 'span 3 day' is not in the fr text" in found


async def test_a_phone_number_or_link_missing_in_one_language(org: Path) -> None:
    violence = org / "content" / "en" / "violence.yaml"
    violence.write_text(violence.read_text().replace("0800 30 030", "0800 30 031"))
    found = await problems(org)
    assert f"{violence}: text: 'phone 080030030' is in the fr text but not here" in found
    assert f"{violence}: text: 'phone 080030031' is not in the fr text" in found


async def test_keywords_for_an_unknown_topic(org: Path) -> None:
    edit_yaml(org / "content" / "es" / "keywords.yaml", lambda d: d["topics"].update(prepp=["x"]))
    assert await problems(org) == [
        f"{org / 'content' / 'es' / 'keywords.yaml'}: topics.prepp: unknown topic"
    ]


async def test_a_language_with_different_pages(org: Path) -> None:
    edit_yaml(org / "content" / "pt" / "pep.yaml", lambda d: d["pages"].pop())
    found = await problems(org)
    assert len(found) == 1 and found[0].startswith(
        f"{org / 'content' / 'pt' / 'pep'}.yaml: pages: 3 pages"
    )


async def test_an_urgent_answer_naming_a_missing_page(org: Path) -> None:
    edit_yaml(org / "content" / "topics.yaml", lambda d: d["urgent"]["exposure"].update(pages=[9]))
    topics = org / "content" / "topics.yaml"
    assert await problems(org) == [
        f"{topics}: urgent.exposure.pages: pep has no page 9 (it has 4, counted from 0)"
    ]


async def test_booking_schedule_mistakes(org: Path) -> None:
    def unknown_type(d: dict) -> None:  # type: ignore[type-arg]
        d["appointments"]["schedules"][0]["type"] = "massage"

    edit_yaml(org / "config.yaml", unknown_type)
    assert "schedule: unknown appointment type 'massage'" in (await problems(org))[0]
    shutil.copy(ROOT / "config.example.yaml", org / "config.yaml")

    def no_anchor(d: dict) -> None:  # type: ignore[type-arg]
        del d["appointments"]["schedules"][3]["anchor"]

    edit_yaml(org / "config.yaml", no_anchor)
    found = (await problems(org))[0]
    assert "appointments.schedules.3" in found
    assert "a rule every N weeks needs every_weeks, anchor and hours" in found


async def test_a_change_after_a_good_start_is_checked_again_at_the_next_start(org: Path) -> None:
    """The slow checks are skipped only while nothing changed since they passed."""
    env = {
        "BOT_DATA_DIR": str(org / "data"),
        "BOT_SECRET_KEY": "k" * 40,
        "BOT_CONFIG": str(org / "config.yaml"),
        "BOT_CONTENT": str(org / "content"),
    }
    async with open_runtime(load_settings(env)):
        pass
    async with open_runtime(load_settings(env)):
        pass  # unchanged: starts again
    page = org / "content" / "nl" / "pep.yaml"
    page.write_text(page.read_text().replace("72 uur", "3 dagen"))
    with pytest.raises(ValidationFailed, match="72 hour"):
        async with open_runtime(load_settings(env)):
            pass
