"""Unrestricted resource consumption (OWASP API4): huge, deep or long requests get a quick
4xx and cost the server a bounded amount of memory.

Every limit is checked on every operation it applies to, read from the OpenAPI document:
nesting on every JSON body, ``maxItems`` on every batch, ``per_page`` on every collection.
tests/unit/test_bad_input.py holds the single-endpoint cases (nesting on predict, string
fields over the body limit), tests/unit/predictions/test_batch.py the batch sizes of the
default model, tests/unit/test_pagination.py the page query schema itself, and
tests/unit/registry/test_upload_files.py the upload limits.
"""

import io
import tracemalloc

import pytest

from tests.security.test_injection import (  # noqa: F401
    OPERATIONS,
    World,
    app_config,
    concrete,
    create_hook,
    dns,
    world,
)
from tests.unit.helpers import ROW, assert_problem

MB = 1 << 20
HUNDRED_MB = 100 * MB
JSON_OPERATIONS = [op for op in OPERATIONS if op.media_type == "application/json"]
PAGED = [op for op in OPERATIONS if {"page", "per_page"} <= op.query.keys()]
BATCHES = [op for op in JSON_OPERATIONS if op.properties.get("samples", {}).get("maxItems")]


class Flood(io.RawIOBase):
    """``size`` bytes of a JSON array of zeros, made as they are read, counting them.
    Seekable only so the test client can measure it; nothing is held in memory."""

    def __init__(self, size: int, head: bytes = b'{"features": ['):
        self.size, self.head, self.position, self.read_so_far = size, head, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        chunk = (self.head if self.position == 0 else b"") + b"0," * (n // 2 + 1)
        buffer[:n] = chunk[:n]
        self.position += n
        self.read_so_far += n
        return n


class CountingReader(io.BytesIO):
    """A request body that counts the bytes the server reads from it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_so_far = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.read_so_far += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        n = super().readinto(buffer)
        self.read_so_far += n
        return n

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.read_so_far += len(line)
        return line


def measured(send):
    """The response, and the most memory Python held at once while it was made."""
    tracemalloc.start()
    try:
        response = send()
        return response, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("op", [pytest.param(op, id=op.id) for op in JSON_OPERATIONS])
def test_json_nested_100000_levels_is_malformed_on_every_operation(
    client, auth_headers, admin_headers, op
):
    """Deep nesting must not reach a recursive parser or validator (RecursionError: 500).
    Sent by a caller allowed on the operation: a role's 403 comes before the body."""
    body = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    headers = admin_headers if op.path.startswith("/api/v1/admin/") else auth_headers

    response = client.open(
        concrete(op.path),
        method=op.method,
        data=body,
        content_type="application/json",
        headers=headers,
    )

    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("path", ["/api/v1/predict", "/api/v1/models/1/predict"])
def test_a_million_features_is_refused_before_a_byte_is_read(client, auth_headers, path):
    """10^6 numbers do not fit in the 1 MB a JSON body may take: 413 from the declared
    length, without reading (let alone parsing) any of the 2 MB."""
    body = ('{"features": [' + ",".join(["0"] * 1_000_000) + "]}").encode()
    stream = CountingReader(body)

    response = client.post(
        path,
        input_stream=stream,
        content_type="application/json",
        headers={**auth_headers, "Content-Length": str(len(body))},
    )

    assert_problem(response, 413, "payload_too_large")
    assert stream.read_so_far == 0


def test_the_longest_array_that_fits_is_refused_by_its_length(client, auth_headers):
    """Just under 1 MB of zeros: the length is judged before any of 500 000 items is."""
    body = '{"features": [' + ",".join(["0"] * 500_000) + "]}"

    response = client.post(
        "/api/v1/predict", data=body, content_type="application/json", headers=auth_headers
    )

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert list(errors) == ["features"]
    assert "got 500000" in errors["features"][0]


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_100_mb_json_body_is_refused_having_read_at_most_the_limit(client, auth_headers, chunked):
    """Declared: refused from Content-Length without reading. Chunked (no length): the
    app stops reading at the 1 MB limit. Either way memory stays far below 100 MB."""
    flood = Flood(HUNDRED_MB)
    extra = (
        {
            "environ_overrides": {"wsgi.input_terminated": True},
            "headers": {**auth_headers, "Transfer-Encoding": "chunked"},
        }
        if chunked
        else {"headers": auth_headers}
    )

    response, peak = measured(
        lambda: client.post(
            "/api/v1/predict", input_stream=flood, content_type="application/json", **extra
        )
    )

    assert_problem(response, 413, "payload_too_large")
    assert flood.read_so_far <= (MB + 1 if chunked else 0)
    assert peak < 16 * MB, f"peak {peak} bytes"


def test_a_100_mb_upload_is_refused_before_it_is_read(client, auth_headers):
    flood = Flood(
        HUNDRED_MB,
        head=b'--b\r\nContent-Disposition: form-data; name="file"; filename="m.skops"\r\n\r\n',
    )

    response, peak = measured(
        lambda: client.post(
            "/api/v1/models",
            input_stream=flood,
            content_type="multipart/form-data; boundary=b",
            headers=auth_headers,
        )
    )

    assert_problem(response, 413, "payload_too_large")
    assert flood.read_so_far == 0
    assert peak < 16 * MB, f"peak {peak} bytes"


def test_every_batch_operation_is_found():
    assert {op.id for op in BATCHES} == {
        "POST /api/v1/batch-predict",
        "POST /api/v1/models/{model_id}/batch-predict",
        "POST /api/v1/registry/{owner}/{name}/batch-predict",
        "POST /api/v1/registry/{owner}/{name}/aliases/{alias}/batch-predict",
        "POST /api/v1/registry/{owner}/{name}/versions/{version}/batch-predict",
    }


@pytest.mark.parametrize("op", [pytest.param(op, id=op.id) for op in BATCHES])
def test_batches_hold_at_most_their_documented_number_of_samples(client, world, op):  # noqa: F811
    """The limit the document promises is the one enforced: maxItems answered, one more
    refused naming ``samples``."""
    limit = op.properties["samples"]["maxItems"]
    path = concrete(op.path, world.ids)

    at_limit = client.post(path, json={"samples": [ROW] * limit}, headers=world.headers)
    over = client.post(path, json={"samples": [ROW] * (limit + 1)}, headers=world.headers)

    assert at_limit.status_code == 200, at_limit.get_json()
    assert at_limit.get_json()["count"] == limit
    assert "samples" in assert_problem(over, 422, "validation_error")["errors"]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.id) for op in PAGED])
def test_every_collection_bounds_its_page_size(world: World, op):  # noqa: F811
    """per_page 1-100 as documented; page >= 1; a page far past the end is empty, not an
    error or a scan."""
    headers = world.admin_headers if op.path.startswith("/api/v1/admin") else world.headers
    path = concrete(op.path, world.ids)
    largest = op.query["per_page"]["maximum"]

    def get(**query):
        return world.client.get(path, query_string=query, headers=headers)

    for query in [
        {"per_page": largest + 1},
        {"per_page": 0},
        {"per_page": 10**9},
        {"page": 0},
        {"page": -1},
    ]:
        field = next(iter(query))
        assert field in assert_problem(get(**query), 422, "validation_error")["errors"]
    biggest = get(per_page=largest)
    assert biggest.status_code == 200
    assert biggest.get_json()["per_page"] == largest
    far = get(page=10**30)
    assert far.status_code == 200
    assert far.get_json()["items"] == []
