"""Turn pydantic and YAML errors into `file: path.to.field: problem` lines an editor can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ValidationFailed(Exception):
    """One or more problems in the organisation's files; each line names file and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# libyaml's parser when PyYAML was built with it (its wheels are): five times faster than the
# pure-Python one, which was most of the start-up time. Same safe subset of YAML.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SAFE_LOADER)
    except FileNotFoundError as exc:
        raise ValidationFailed([f"{path}: file not found"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed([f"{path}: {where}: {problem}"]) from exc


def field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Dotted path; list items that carry an `id` are shown with it, e.g. locations.2[genappe]."""
    parts: list[str] = []
    node = data
    for key in loc:
        part = str(key)
        child = None
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            child = node[key]
            if isinstance(child, dict) and isinstance(child.get("id"), str):
                part = f"{key}[{child['id']}]"
        elif isinstance(node, dict):
            child = node.get(key)
        parts.append(part)
        node = child
    return ".".join(parts) if parts else "(top level)"


def describe(error: ValidationError, path: Path, data: Any) -> list[str]:
    lines = []
    for item in error.errors():
        loc = tuple(
            k for k in item["loc"] if not (isinstance(k, str) and k.startswith("function-"))
        )
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        lines.append(f"{path}: {field_path(loc, data)}: {message}")
    return lines


def load_per_language(
    model: type[M], content_dir: Path, languages: list[str], filename: str
) -> dict[str, M]:
    """`content/<lang>/<filename>` for every language, validated; every problem at once."""
    problems: list[str] = []
    result: dict[str, M] = {}
    for lang in languages:
        path = content_dir / lang / filename
        try:
            data = load_yaml(path)
            result[lang] = model.model_validate(data)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(describe(exc, path, data))
    if problems:
        raise ValidationFailed(problems)
    return result
