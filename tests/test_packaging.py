"""The Dockerfile passes hadolint, and the README's commands are the ones CI runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make run" in readme
    assert "make test" in ci


def test_the_installed_wheel_carries_its_content_and_runs_from_anywhere(tmp_path: Path) -> None:
    """`pip install .` without the checkout: content, translations and the example config
    come from the package. Built offline (no build isolation) and run by the base
    interpreter, so nothing of the editable development install is on the path."""
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheels)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    wheel = next(wheels.glob("parapluie-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    dependencies = next(p for p in map(Path, sys.path) if p.name == "site-packages")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PYTHONPATH": f"{site}:{dependencies}",
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_SECRET_KEY": "packaging-test-secret-key-0123456789abcdef",
        "PATH": "/usr/bin:/bin",
    }
    python = getattr(sys, "_base_executable", sys.executable)

    def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "bot", *args], input=stdin, env=env, cwd=elsewhere,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    checked = bot("content", "check")
    assert checked.returncode == 0, checked.stderr
    assert str(site / "bot" / "resources" / "content") in checked.stdout
    chat = bot("chat", "--lang", "nl", stdin="/start\n")
    assert chat.returncode == 0, chat.stderr
    assert "Hallo" in chat.stdout  # Dutch content and translations, from the wheel
