"""Production static files: whitenoise's compressed, hashed names, with ES-module imports too.

The pages load `submission.<hash>.js`, which imports `./compare.js`; without rewriting, that
import would fetch the unhashed file — not cached for long, and after a deploy possibly a newer
version than the module importing it. Django can rewrite `import … from "./x.js"` to the hashed
name; it is off by default.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
