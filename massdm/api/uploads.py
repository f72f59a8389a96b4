"""Receiving an upload: the request body streamed straight to a staging file, never held whole.

Accepts `multipart/form-data` with a `file` part (and/or a `file_url` field), or a JSON or
url-encoded body with `file_url`. The size cap is enforced while bytes arrive, so an oversized
upload is refused (413) as soon as it crosses the limit and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from massdm.domain import json_body
from massdm.errors import TooLarge, ValidationFailed

MAX_FIELD_BYTES = 16_384
FORM_OVERHEAD = 1_000_000  # room for multipart headers and small fields beyond the file itself


@dataclass
class ReceivedFile:
    field: str  # the form field it came in (`file`, `mediaFiles`, `previews`; `[]`/`[n]` suffixes dropped)
    path: Path
    size: int = 0
    file_name: str | None = None


@dataclass
class Received:
    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)  # every value of each small field, in order
    json: object = None  # the parsed body, when it was JSON

    @property
    def path(self) -> Path | None:
        return self.files[0].path if self.files else None

    @property
    def size(self) -> int:
        return self.files[0].size if self.files else 0

    @property
    def file_name(self) -> str | None:
        return self.files[0].file_name if self.files else None

    def field(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def discard(self) -> None:
        for received in self.files:
            received.path.unlink(missing_ok=True)


def field_name(raw: str) -> str:
    """`userLists[]` and `userLists[2]` are both `userLists`."""
    return raw.split("[", 1)[0] if raw.endswith("]") and "[" in raw else raw


class _MultipartSink:
    """python-multipart callbacks: file parts go to disk, small fields to memory."""

    def __init__(self, staging: Callable[[], Path], max_bytes: int, received: Received,
                 file_fields: frozenset[str], max_field: int = MAX_FIELD_BYTES) -> None:
        self.staging, self.max_bytes, self.received = staging, max_bytes, received
        self.file_fields, self.max_field = file_fields, max_field
        self.current: ReceivedFile | None = None
        self.total = 0
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
        self.name = field_name(params.get(b"name", b"").decode("utf-8", "replace"))
        if self.name in self.file_fields and b"filename" in params:
            self.current = ReceivedFile(self.name, self.staging(),
                                        file_name=params[b"filename"].decode("utf-8", "replace") or None)
            self.received.files.append(self.current)
            self.out = self.current.path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.out is not None and self.current is not None:
            self.current.size += len(chunk)
            self.total += len(chunk)
            if self.total > self.max_bytes:
                raise TooLarge(f"The upload is larger than {self.max_bytes:,} bytes.")
            self.out.write(chunk)
        elif self.name:
            self.value += chunk
            if len(self.value) > self.max_field:
                raise ValidationFailed.field(self.name, f"The {self.name} field is too long.")

    def on_part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out, self.current = None, None
        elif self.name:
            self.received.fields.setdefault(self.name, []).append(self.value.decode("utf-8", "replace"))

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


async def _small_body(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"A body without files may be at most {limit:,} bytes.")
    return bytes(body)


async def receive_form(
    request: Request,
    staging: Callable[[], Path],
    max_bytes: int,
    file_fields: frozenset[str] = frozenset({"file"}),
    max_json: int = MAX_FIELD_BYTES,
    max_field: int = MAX_FIELD_BYTES,
) -> Received:
    """Read the request body: file parts (of `file_fields`) to staging files, small fields (up to
    `max_field` bytes each) to memory, or a JSON / url-encoded body. 413 or 422 on bad input, with
    nothing left behind."""
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
            sink = _MultipartSink(staging, max_bytes, received, file_fields, max_field)
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
                payload = json_body.decode(await _small_body(request, max_json) or b"{}")
            except ValueError:
                raise ValidationFailed.field("body", "The request body is not valid JSON.") from None
            if not isinstance(payload, dict):
                raise ValidationFailed.field("body", "The JSON body must be an object.")
            received.json = payload
            received.fields = {k: [v] for k, v in payload.items() if isinstance(v, str)}
        elif content_type == b"application/x-www-form-urlencoded":
            form = parse_qs((await _small_body(request, max_json)).decode("utf-8", "replace"))
            for name, values in form.items():
                received.fields.setdefault(field_name(name), []).extend(values)
        else:
            raise ValidationFailed.field(
                "body", "Send multipart/form-data, application/json or application/x-www-form-urlencoded."
            )
    except BaseException:
        received.discard()
        raise
    return received
