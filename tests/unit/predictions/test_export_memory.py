"""The export streams in constant memory: ten times the rows, not ten times the memory.

The file is read straight from the WSGI app, chunk by chunk, and thrown away: the test
client would keep the whole body (and check it against the document) and so measure itself.
"""

import tracemalloc
from datetime import timedelta

from werkzeug.test import EnvironBuilder

from .export_rows import EXPORT, T0, add_rows

N = 2000
SLACK = 256 * 1024  # bytes: allocator noise, caches of compiled statements


def streamed_lines(app, headers: dict) -> int:
    """Lines of the CSV export, counted as the chunks arrive."""
    environ = EnvironBuilder(path=EXPORT, headers=headers).get_environ()
    statuses = []
    body = app(environ, lambda status, _headers, _exc_info=None: statuses.append(status))
    lines = 0
    try:
        for chunk in body:
            lines += chunk.count(b"\n")
    finally:
        body.close()
    assert statuses == ["200 OK"]
    return lines


def export_peak(app, headers: dict, rows: int) -> int:
    """tracemalloc's peak while exporting, above what was allocated before it."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        assert streamed_lines(app, headers) == rows + 1  # and the header row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def test_ten_times_the_rows_take_no_more_memory(app, user, auth_headers):
    def stamps(start: int, count: int):
        return [T0 + timedelta(seconds=i) for i in range(start, start + count)]

    add_rows(app, user.id, stamps(0, N))
    streamed_lines(app, auth_headers)  # first use: statements compiled and cached
    small = export_peak(app, auth_headers, N)
    add_rows(app, user.id, stamps(N, 9 * N))

    large = export_peak(app, auth_headers, 10 * N)

    assert large < 2 * small + SLACK, (small, large)
