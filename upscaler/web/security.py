"""Security headers Django does not set itself: a Content-Security-Policy on our HTML pages and
a locked-down one on served files (uploads and results are never a document that runs script)."""

from __future__ import annotations

from django.conf import settings


def content_security_policy() -> str:
    img_src = " ".join(["'self'", "data:", "blob:", *settings.UPSCALER_CSP_IMG_ORIGINS])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        # The pages set progress bar widths in markup; no script can be injected this way.
        "style-src-attr 'unsafe-inline'; "
        f"img-src {img_src}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class ContentSecurityPolicyMiddleware:
    """Adds the site's CSP to HTML responses that carry none (the API docs bring inline
    scripts of their own and are left out, see UPSCALER_CSP_EXEMPT_PATHS)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if (
            "Content-Security-Policy" not in response
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(tuple(settings.UPSCALER_CSP_EXEMPT_PATHS))
        ):
            response["Content-Security-Policy"] = self.policy
        return response
