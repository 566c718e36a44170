"""Uploads are bounded while they stream: a file larger than MAX_WORKBOOK_BYTES is never stored anywhere.

Django keeps small uploads in memory and writes larger ones to a temporary file, whatever their size; this handler
runs first (settings.FILE_UPLOAD_HANDLERS) and stops the file at the first chunk past the limit. The rest of the
request body is read and dropped, so the browser gets the page with the Italian message, not a reset connection.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from perfplan.formats import number_it
from perfplan.limits import MB, import_limits

REFUSAL_ATTRIBUTE = "upload_refusal"


class BoundedUploadHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        limit = import_limits().upload_bytes
        if start + len(raw_data) > limit:
            if self.request is not None:
                setattr(self.request, REFUSAL_ATTRIBUTE, too_large_message(limit))
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers (memory, then temporary file) keep the file


def too_large_message(limit: int) -> str:
    return (
        f"Il file è troppo grande: il limite è {number_it(round(limit / MB, 1))} MB. "
        "Il caricamento è stato interrotto e nulla è stato salvato."
    )


def upload_refusal(request: HttpRequest) -> str | None:
    """The message of a file this request's upload was refused for, once its body has been parsed."""
    return getattr(request, REFUSAL_ATTRIBUTE, None)
