"""Receiving an upload: the request body streamed straight to a staging file, never held whole.

Accepts `multipart/form-data` with a `file` part (and/or a `file_url` field), or a JSON or
url-encoded body with `file_url`. The size cap is enforced while bytes arrive, so an oversized
upload is refused (413) as soon as it crosses the limit and leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from massdm.errors import TooLarge, ValidationFailed

MAX_FIELD_BYTES = 16_384
FORM_OVERHEAD = 1_000_000  # room for multipart headers and small fields beyond the file itself


@dataclass
class Received:
    path: Path | None = None  # the staged file, if the body carried one
    size: int = 0
    file_name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class _MultipartSink:
    """python-multipart callbacks: the `file` part goes to disk, small fields to memory."""

    def __init__(self, staging: Path, max_bytes: int, received: Received) -> None:
        self.staging, self.max_bytes, self.received = staging, max_bytes, received
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.out: IO[bytes] | None = None
        self.value = bytearray()

    def on_part_begin(self) -> None:
        self.headers, self.name, self.value = {}, None, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _disposition, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = params.get(b"name", b"").decode("utf-8", "replace")
        if self.name == "file" and self.received.path is None:
            self.received.path = self.staging
            self.received.file_name = params.get(b"filename", b"").decode("utf-8", "replace") or None
            self.out = self.staging.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.out is not None:
            self.received.size += len(chunk)
            if self.received.size > self.max_bytes:
                raise TooLarge(f"The file is larger than {self.max_bytes:,} bytes.")
            self.out.write(chunk)
        elif self.name:
            self.value += chunk
            if len(self.value) > MAX_FIELD_BYTES:
                raise ValidationFailed.field(self.name, f"The {self.name} field is too long.")

    def on_part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        elif self.name:
            self.received.fields[self.name] = self.value.decode("utf-8", "replace")

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


async def _small_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FIELD_BYTES:
            raise ValidationFailed.field("body", "Without a file, the body must be a small form or JSON object.")
    return bytes(body)


async def receive_upload(request: Request, staging: Path, max_bytes: int) -> Received:
    """Read the request body into `staging` (the file part) and the small fields; 413/422 on bad input."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise TooLarge(f"The upload is larger than {max_bytes:,} bytes.")
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    received = Received()
    try:
        if content_type == b"multipart/form-data":
            boundary = params.get(b"boundary")
            if not boundary:
                raise ValidationFailed.field("body", "The multipart body has no boundary.")
            sink = _MultipartSink(staging, max_bytes, received)
            parser = MultipartParser(boundary, {
                "on_part_begin": sink.on_part_begin, "on_header_field": sink.on_header_field,
                "on_header_value": sink.on_header_value, "on_header_end": sink.on_header_end,
                "on_headers_finished": sink.on_headers_finished, "on_part_data": sink.on_part_data,
                "on_part_end": sink.on_part_end,
            })
            try:
                async for chunk in request.stream():
                    parser.write(chunk)
                parser.finalize()
            except (TooLarge, ValidationFailed):
                raise
            except Exception:  # noqa: BLE001 - any parser complaint is a malformed body
                raise ValidationFailed.field("body", "The multipart body is malformed.") from None
            finally:
                sink.close()
        elif content_type == b"application/json":
            try:
                payload = json.loads(await _small_body(request) or b"{}")
            except ValueError:
                raise ValidationFailed.field("body", "The request body is not valid JSON.") from None
            if not isinstance(payload, dict):
                raise ValidationFailed.field("body", "The JSON body must be an object.")
            received.fields = {k: v for k, v in payload.items() if isinstance(v, str)}
        elif content_type == b"application/x-www-form-urlencoded":
            form = parse_qs((await _small_body(request)).decode("utf-8", "replace"))
            received.fields = {k: v[-1] for k, v in form.items()}
        else:
            raise ValidationFailed.field(
                "file", "Send the file as the `file` part of a multipart/form-data body, or give a `file_url`."
            )
    except BaseException:
        received.discard()
        raise
    return received
