"""Web processes must not import torch (production web containers do no inference)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import sys
import django
django.setup()
import srsite.asgi, srsite.urls, upscaler.web.views, upscaler.realtime.consumers, upscaler.jobs.tasks, gallery.views
import io
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
assert client.get("/").status_code == 200          # lists models, builds the form
buf = io.BytesIO(); Image.new("RGB", (4, 4)).save(buf, "PNG")
ok = client.post("/", {"image": SimpleUploadedFile("a.png", buf.getvalue()), "scale": 4,
                       "model": "bicubic"})
assert ok.status_code == 302, ok.status_code       # stored, queued, dispatched to Celery
bad = client.post("/", {"image": SimpleUploadedFile("x.png", b"nope"), "scale": 4,
                        "model": "bicubic"})
assert bad.status_code == 400
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("TORCH:", loaded[:5])
sys.exit(1 if loaded else 0)
"""


def test_web_process_does_not_import_torch(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "srsite.settings.dev",
        "UPSCALER_DATA_DIR": str(tmp_path),
        # as in production: dispatch goes to a broker (Celery's in-process memory transport)
        "UPSCALER_JOB_BACKEND": "celery",
        "CELERY_BROKER_URL": "memory://",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TORCH: []" in proc.stdout
