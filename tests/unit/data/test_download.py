"""The event-file download against a local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from supertml.data.download import (
    DownloadError,
    check_event_file,
    download_file,
    partial_path,
)

SAMPLE_GZ = (
    Path(__file__).resolve().parents[3]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)
SAMPLE_ROWS = 8004


@dataclass
class Behaviour:
    """How the server answers: ``drop_after`` bytes on the first ``drops`` responses, then
    closes the connection; ``honour_range`` false answers every range request with all bytes."""

    body: bytes
    drop_after: int | None = None
    drops: int = 0
    honour_range: bool = True
    status: int = 200
    ranges: list[str | None] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet

    def do_GET(self) -> None:
        spec = self.behaviour
        requested = self.headers.get("Range")
        spec.ranges.append(requested)
        if spec.status != 200:
            self.send_error(spec.status)
            return
        start = 0
        if requested and spec.honour_range:
            start = int(requested.removeprefix("bytes=").rstrip("-"))
            if start >= len(spec.body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(spec.body)}")
                self.end_headers()
                return
            self.send_response(206)
            end = len(spec.body) - 1
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(spec.body)}")
        else:
            self.send_response(200)
        payload = spec.body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if spec.drop_after is not None and spec.drops > 0:
            spec.drops -= 1
            self.wfile.write(payload[: spec.drop_after])
            self.wfile.flush()
            # Drop the connection mid-file, as a flaky network does.
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(payload)


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour(body=SAMPLE_GZ.read_bytes())
    handler = type("Handler", (_Handler,), {"behaviour": behaviour})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/events.csv.gz", behaviour
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_dropped_connection_resumes_where_it_stopped(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, behaviour = server
    behaviour.drop_after, behaviour.drops = 100_000, 2
    target = download_file(url, tmp_path / "events.csv.gz", expected_rows=SAMPLE_ROWS, backoff=0)
    assert target.read_bytes() == behaviour.body
    assert behaviour.ranges == [None, "bytes=100000-", "bytes=200000-"]
    assert not partial_path(target).exists()


def test_a_partial_file_from_a_killed_run_is_resumed(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, behaviour = server
    target = tmp_path / "events.csv.gz"
    partial_path(target).write_bytes(behaviour.body[:12_345])
    download_file(url, target, expected_rows=SAMPLE_ROWS)
    assert target.read_bytes() == behaviour.body
    assert behaviour.ranges == ["bytes=12345-"]


def test_a_complete_partial_file_is_checked_and_kept(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, behaviour = server
    target = tmp_path / "events.csv.gz"
    partial_path(target).write_bytes(behaviour.body)
    download_file(url, target, expected_rows=SAMPLE_ROWS)
    assert target.read_bytes() == behaviour.body
    assert behaviour.ranges == [f"bytes={len(behaviour.body)}-"]  # answered 416


def test_a_server_that_ignores_ranges_is_downloaded_afresh(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, behaviour = server
    behaviour.honour_range = False
    target = tmp_path / "events.csv.gz"
    partial_path(target).write_bytes(b"stale bytes of another file")
    download_file(url, target, expected_rows=SAMPLE_ROWS)
    assert target.read_bytes() == behaviour.body


def test_a_wrong_row_count_is_refused_and_nothing_is_left(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, _ = server
    target = tmp_path / "events.csv.gz"
    with pytest.raises(DownloadError, match=r"8,004 data rows, expected 818,238") as error:
        download_file(url, target, expected_rows=818_238)
    assert str(target) in str(error.value)
    assert not target.exists()
    assert not partial_path(target).exists()


def test_a_truncated_archive_is_refused(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.body = behaviour.body[: len(behaviour.body) // 2]
    target = tmp_path / "events.csv.gz"
    with pytest.raises(DownloadError, match="damaged or truncated"):
        download_file(url, target)
    assert not target.exists()


def test_a_file_of_another_layout_is_refused(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.body = gzip.compress(b"a;b;c\n1;2;3\n")
    with pytest.raises(DownloadError, match="header is not one of the challenge layouts"):
        download_file(url, tmp_path / "events.csv.gz")


def test_an_http_error_names_the_url_and_where_to_put_the_file(
    server: tuple[str, Behaviour], tmp_path: Path
) -> None:
    url, behaviour = server
    behaviour.status = 404
    target = tmp_path / "events.csv.gz"
    with pytest.raises(DownloadError, match="HTTP 404") as error:
        download_file(url, target)
    assert url in str(error.value)
    assert f"copy it to {target}" in str(error.value)


def test_offline_fails_at_once_with_url_and_path(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/events.csv.gz"
    target = tmp_path / "resources" / "events.csv.gz"
    start = time.monotonic()
    with pytest.raises(DownloadError) as error:
        download_file(url, target, backoff=5.0)
    assert time.monotonic() - start < 2.0  # not retried with back-off
    message = str(error.value)
    assert url in message
    assert f"copy it to {target}" in message
    assert "bytes are kept" not in message


def test_check_event_file_counts_rows_of_plain_and_gzip_files(tmp_path: Path) -> None:
    plain = tmp_path / "events.csv"
    plain.write_bytes(gzip.decompress(SAMPLE_GZ.read_bytes()).rstrip(b"\n"))  # no final newline
    assert check_event_file(plain).rows == SAMPLE_ROWS
    found = check_event_file(SAMPLE_GZ, expected_rows=SAMPLE_ROWS)
    assert (found.source_format, found.rows) == ("opendata", SAMPLE_ROWS)
