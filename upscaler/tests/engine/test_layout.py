"""The engine's shape: short functions, and its own folder of shipped weights."""

import ast
from pathlib import Path

import upscaler.engine
from upscaler.engine.config import PACKAGE_WEIGHTS_DIR

ENGINE = Path(upscaler.engine.__file__).resolve().parent
#: Longer than this and a function is doing two things (measured as end_lineno - lineno + 1).
MAX_FUNCTION_LINES = 60


def test_no_engine_function_is_longer_than_sixty_lines():
    long = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ENGINE)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long


def test_the_engine_ships_its_weights_in_its_own_folder():
    assert PACKAGE_WEIGHTS_DIR == ENGINE / "weights"  # not the Django app's folder
    assert sorted(PACKAGE_WEIGHTS_DIR.glob("*.safetensors"))
