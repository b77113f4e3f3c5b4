"""Free-text matching and urgent triage: the development set's targets, and their mechanics."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.checks import check_everything
from bot.evaluation import evaluate, load_questions
from bot.keywords import normalise
from bot.matching import Matcher
from tests.conftest import ROOT

DEV_SET = ROOT.parent / "shared" / "eval" / "questions-dev.yaml"
OWN_SET = ROOT / "tests" / "data" / "questions-extra.yaml"
# Urgent disclosures and deliberately close non-urgent messages, one file per language,
# written apart from the keyword lists (issue 12).
TRIAGE_SETS = sorted((ROOT / "tests" / "data" / "triage").glob("*.yaml"))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    checked = asyncio.run(check_everything(ROOT / "config.example.yaml", ROOT / "content"))
    return checked.matcher


def _check_targets(
    matcher: Matcher,
    name: str,
    questions: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The targets of issue 12, on every set: top-1 at least 97% overall and 93% in every
    language, every urgent question urgent, at most 3% false urgent."""
    report = evaluate(matcher, questions)
    with capsys.disabled():  # the report belongs in the test log, pass or fail
        print(f"\n{name}\n{report.table()}")
        for miss in report.misses:
            print(f"miss: {miss}")
    overall = report.overall
    assert overall.accuracy >= 0.97, report.table()
    assert all(score.accuracy >= 0.93 for score in report.by_language.values()), report.table()
    assert overall.urgent_recall == 1.0, [m for m in report.misses if "urgent=True)" in m]
    assert overall.false_urgent_rate <= 0.03, report.table()


@pytest.mark.skipif(not DEV_SET.exists(), reason="../shared/eval is not beside this clone")
def test_development_set_meets_the_targets(
    matcher: Matcher, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_targets(matcher, DEV_SET.name, load_questions(DEV_SET), capsys)


def test_own_question_set_meets_the_targets(
    matcher: Matcher, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_targets(matcher, OWN_SET.name, load_questions(OWN_SET), capsys)


def test_triage_set_meets_the_targets(matcher: Matcher, capsys: pytest.CaptureFixture[str]) -> None:
    questions = [q for path in TRIAGE_SETS for q in load_questions(path)]
    _check_targets(matcher, "triage/*.yaml", questions, capsys)


@pytest.mark.parametrize("path", TRIAGE_SETS, ids=lambda path: path.stem)
def test_triage_set_is_large_and_close_in_every_language(path: Path) -> None:
    """At least 40 urgent and 40 non-urgent questions per language, every urgent class."""
    questions = load_questions(path)
    assert {q["lang"] for q in questions} == {path.stem}
    assert sum(bool(q["urgent"]) for q in questions) >= 40
    assert sum(not q["urgent"] for q in questions) >= 40
    kinds = {q.get("kind") for q in questions if q["urgent"]}
    assert kinds == {"exposure", "sexual_violence", "violence", "exploitation", "suicide"}


def test_normalisation_drops_accents_and_transliterates() -> None:
    assert normalise("S-a rupt prezervativul aseară!") == [
        "s",
        "a",
        "rupt",
        "prezervativul",
        "aseara",
    ]
    assert normalise("Колко струва PrEP?") == ["kolko", "struva", "prep"]
    assert normalise("il y a 48h") == ["il", "y", "a", "48", "h"]
    # Bulgarian typed with digits for the letters Latin lacks; numbers keep their digits.
    assert normalise("pi6e moje6 6te 4ovek 50/50 72h") == [
        *["pishe", "mojesh", "shte", "4", "ovek"],
        *["50", "50", "72", "h"],
    ]


@pytest.mark.parametrize(
    ("lang", "text", "topic", "urgent"),
    [
        ("fr", "LA CAPOTE A CRAQUÉ", "pep", True),  # case, accents, no time said: urgent
        ("fr", "j'ai 30 ans et la capote a craqué", "pep", True),  # an age, not a time
        ("fr", "il me frappe depuis 2 ans", "violence", True),  # still going on
        ("fr", "mon ex m'a frappée il y a 2 ans, je peux porter plainte ?", "violence", False),
        ("fr", "je veux mourir", "mental_health", True),
        ("fr", "jveux plus vivre", "mental_health", True),  # "j'veux" as texted
        ("fr", "je vais me pendre", "mental_health", True),
        ("fr", "je vais me prendre un rdv", "appointment", False),  # not a typo of "pendre"
        ("en", "i want to die", "mental_health", True),
        ("en", "i am 50 years old and my husband hits me", "violence", True),
        ("bg", "iskam da umra", "mental_health", True),  # Bulgarian in Latin letters
        ("pt", "esse aluguel vai me matar", "social", False),  # Spanish "matarme" cut short
        ("fr", "la capot a craquer", "pep", True),  # typos
        ("fr", "capote craquée il y a 10 jours", "testing", False),  # too late for PEP
        ("fr", "preservatif casse il y a 48h", "pep", True),  # within 72 hours
        ("en", "condom broke 5 days ago", "testing", False),
        ("nl", "condom broke last night", "pep", True),  # a Dutch user typing English
        ("bg", "skasa se prezervativ", "pep", True),  # Bulgarian typed in Latin letters
        ("en", "where can i get pep", "pep", False),  # asking about PEP is not an exposure
        ("fr", "il m'a violée cette nuit", "violence", True),
        ("pt", "ele pegou meu passaporte", "violence", True),
        ("ro", "sponsorul imi ia jumatate din bani", "violence", True),
        ("en", "the condom i was using with him broke", "pep", True),  # words apart
        ("en", "condom brok", "pep", True),  # a word cut short
        ("fr", "un client veut sans capote, je peux refuser ?", "rights", False),  # a question
        ("fr", "un client a voulu sans capote et l'a fait hier", "pep", True),  # but recent
        ("fr", "ou porter plainte pour violences", "violence", False),  # "viol" is not "violence"
    ],
)
def test_cases(matcher: Matcher, lang: str, text: str, topic: str, urgent: bool) -> None:
    found = matcher.match(text, lang)
    assert (found.topic, found.urgent) == (topic, urgent), found.found


def test_sexual_assault_offers_pep_as_well(matcher: Matcher) -> None:
    found = matcher.match("agression sexuelle hier", "fr")
    assert found.urgent_kind == "sexual_violence"
    assert found.topic == "violence" and "pep" in found.alternatives


def test_nothing_matches_gives_no_topic(matcher: Matcher) -> None:
    found = matcher.match("bonjour ça va", "fr")
    assert found.topic is None and not found.urgent


def test_match_command_prints_one_json_line_per_question(tmp_path: Path) -> None:
    env = {"BOT_DATA_DIR": str(tmp_path), "BOT_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin"}
    single = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--lang", "fr", "la", "capote", "a", "craqué"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(single.stdout) == {
        "topic": "pep",
        "urgent": True,
        "score": json.loads(single.stdout)["score"],
        "alternatives": [],
    }
    assert json.loads(single.stdout)["score"] > 0
    lines = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--lang", "es"],
        input="pedir cita\nme amenazan\n\n",
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.splitlines()
    assert [json.loads(line)["topic"] for line in lines] == ["appointment", "violence"]
    assert [json.loads(line)["urgent"] for line in lines] == [False, True]
