"""Production static files: hashed names reach into ES-module imports (srsite/staticfiles.py)."""

import re

from django.core.management import call_command


def test_collectstatic_rewrites_module_imports_to_hashed_names(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "srsite.staticfiles.StaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    (page_module,) = [p for p in (tmp_path / "upscaler").glob("submission.*.js") if p.suffix == ".js"]
    source = page_module.read_text()
    imported = re.findall(r'from "\./([^"]+)"', source)
    assert imported and all(re.fullmatch(r"\w+\.[0-9a-f]{12}\.js", name) for name in imported), imported
    for name in imported:
        assert (tmp_path / "upscaler" / name).exists()
