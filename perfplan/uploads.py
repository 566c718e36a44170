"""Workbook uploads are bounded while they stream: a file larger than MAX_WORKBOOK_BYTES is never stored anywhere.

Django keeps small uploads in memory and writes larger ones to a temporary file, whatever their size; on the views
decorated with `bounded_uploads` this handler runs first and drops the file from the first chunk past the limit.
The rest of the body is read (the other fields still arrive) and the form says why the file is missing: the
browser gets the page with the Italian message, not a reset connection. Other uploads (attachments) keep Django's
handlers: an optional file silently dropped would be worse than a large one.
"""

from __future__ import annotations

from functools import wraps

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from perfplan.formats import megabytes_it
from perfplan.limits import import_limits

REFUSAL_ATTRIBUTE = "upload_refusal"


class BoundedUploadHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        limit = import_limits().upload_bytes
        if start + len(raw_data) > limit:
            if self.request is not None:
                setattr(self.request, REFUSAL_ATTRIBUTE, too_large_message(limit))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers (memory, then temporary file) keep the file


def too_large_message(limit: int) -> str:
    return (
        f"Il file è troppo grande: il limite è {megabytes_it(limit)}. "
        "Il caricamento è stato interrotto e nulla è stato salvato."
    )


def upload_refusal(request: HttpRequest) -> str | None:
    """The message of a file this request's upload was refused for, once its body has been parsed."""
    return getattr(request, REFUSAL_ATTRIBUTE, None)


def bounded_uploads(view):
    """Put BoundedUploadHandler first for this view's requests.

    The handler must be in place before anything reads the body, and the CSRF check reads it: so the check is
    skipped by the middleware (csrf_exempt) and run here, after the handler (Django's documented pattern).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.upload_handlers.insert(0, BoundedUploadHandler(request))
        return protected(request, *args, **kwargs)

    return wrapper
