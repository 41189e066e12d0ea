"""Stream one file field out of a multipart/form-data body without buffering the upload.

FastAPI's ``UploadFile`` spools the whole upload to a temporary file before the route runs;
an 87 MB CSV would be written twice. Here the request body is parsed as it arrives
(python-multipart's incremental parser) and the file part's bytes are handed on chunk by
chunk, so storage receives the upload while it is still coming in.
"""

from __future__ import annotations

from collections.abc import Iterator

from python_multipart.multipart import MultipartParser, parse_options_header

from acme.domain.errors import ValidationError


class MultipartFile:
    """``filename`` of the first part named ``field`` (read on construction), then iterate
    the instance for that part's bytes. ``body`` yields the raw request body chunks."""

    def __init__(self, body: Iterator[bytes], content_type: str, field: str = "file") -> None:
        ctype, params = parse_options_header(content_type or "")
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise ValidationError(
                f"send the CSV as multipart/form-data with a '{field}' field", field=field
            )
        self._body = body
        self._field = field.encode()
        self._out: list[bytes] = []
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_target = False
        self._target_done = False
        self._found = False
        self._ended = False
        self.filename: str = ""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._hfield,
                "on_header_value": self._hvalue,
                "on_header_end": self._hend,
                "on_headers_finished": self._headers_done,
                "on_part_data": self._data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )
        # Read until the target part's headers are parsed (its filename known).
        while not self._found:
            if not self._feed_next():
                raise ValidationError(
                    f"the request has no '{field}' file field; send the CSV as "
                    f"multipart/form-data field '{field}'",
                    field=field,
                )

    # parser callbacks
    def _part_begin(self) -> None:
        self._headers = {}

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _hend(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _headers_done(self) -> None:
        if self._found:
            return
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        if params.get(b"name") == self._field:
            self._found = self._in_target = True
            raw = params.get(b"filename", b"")
            self.filename = raw.decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_target and end > start:
            self._out.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        if self._in_target:
            self._in_target = False
            self._target_done = True

    def _end(self) -> None:
        self._ended = True

    def _feed_next(self) -> bool:
        for chunk in self._body:
            if chunk:
                self._parser.write(chunk)
                return True
        self._parser.finalize()
        return False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self._out:
                out, self._out = self._out, []
                yield b"".join(out)
            if self._target_done:
                # drain the rest of the body so the client sees a clean response
                while self._feed_next():
                    self._out.clear()
                return
            if not self._feed_next() and not self._out:
                raise ValidationError("the upload ended before the file was complete")
