"""Sized for reading: no function of the services, the jobs or the API passes 60 lines, and no
service or API module 300 (STYLE: split a module by subject before it gets there)."""

import ast
from pathlib import Path

import pytest

UPSCALER = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 300


def modules(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (UPSCALER / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("services", "jobs", "api"), ids=lambda p: str(p.relative_to(UPSCALER)))
def test_no_function_is_too_long_to_read(path):
    tree = ast.parse(path.read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


@pytest.mark.parametrize("path", modules("services", "api"), ids=lambda p: str(p.relative_to(UPSCALER)))
def test_no_module_mixes_subjects_past_the_split_size(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
