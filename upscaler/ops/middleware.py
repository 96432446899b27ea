"""Request middleware: counts responses for /metrics and binds the submission/result id of the
URL to the log context, so that every line logged while handling it carries the id."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.signals import request_finished

from srsite.logs import log_context_bind, log_context_clear
from upscaler.ops.metrics import http_request_observe

# URL keyword arguments that name what a request is about.
ID_KWARGS = ("submission_id", "result_id")


def _bind(view_kwargs: dict) -> None:
    ids = {name: view_kwargs[name] for name in ID_KWARGS if name in view_kwargs}
    if ids:
        log_context_bind(**ids)


def _clear_log_context(**kwargs) -> None:
    log_context_clear()


class RequestObservabilityMiddleware:
    """The ids stay bound until the response is closed (request_finished), so the handler's
    own "Not Found: ..." line after the middleware carries them too."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(_clear_log_context, dispatch_uid="srsite-log-context")
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
            # Django calls process_view in the handler's mode; a coroutine avoids a thread hop.
            self.process_view = self._process_view_async
        else:
            self.process_view = self._process_view_sync

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        log_context_clear()
        response = self.get_response(request)
        http_request_observe(method=request.method, status=response.status_code)
        return response

    async def __acall__(self, request):
        log_context_clear()
        response = await self.get_response(request)
        http_request_observe(method=request.method, status=response.status_code)
        return response

    def _process_view_sync(self, request, view_func, view_args, view_kwargs):
        _bind(view_kwargs)

    async def _process_view_async(self, request, view_func, view_args, view_kwargs):
        _bind(view_kwargs)
