"""Importing the engine and using its torch-free half pulls in neither Django nor torch."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = """
import io, sys
import numpy as np
from PIL import Image
import upscaler.engine as engine
buf = io.BytesIO()
Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, "PNG")
source = engine.read_image(buf.getvalue(), max_pixels=10_000)
engine.list_models(engine.EngineConfig())
result = engine.load_upscaler("bicubic", 2, engine.EngineConfig())(source)
engine.write_image(result, io.BytesIO(), format="PNG", source=source)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "django", "spandrel"))
print(",".join(leaked))
"""


def test_engine_import_and_bicubic_path_import_neither_django_nor_torch():
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"leaked imports: {done.stdout.strip()}"
