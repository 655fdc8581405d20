"""Instructions of each step of mlapi's request pipeline (``bench/instructions.py --steps``).

Runs inside bench/instructions.py's child, under callgrind. For each step declared in
``mlapi/pipeline.py`` (and for ``seen_of``, the request's figures worked out once for the
observers), the app is served ``CALLS`` requests of a case with only that step wrapped in
a window of its own (the same client requests as a request's window), so each call of the
step is one dump. A wrapped no-op step, measured the same way, is the cost of the
wrapping and of a window; it is subtracted.

The log's listener thread is stopped meanwhile (callgrind counts every thread: its work
would land in whichever window is open); the records it would have written are then
formatted and written one per window, as the listener does (``LISTENER``).
"""

from __future__ import annotations

import dataclasses
import logging
import statistics
from logging.handlers import QueueHandler

import mlapi.pipeline as pipeline_module

KINDS = ("before", "response", "observers", "teardown")
FIGURES = "(request figures: seen_of)"
NOOP = "(no-op: the wrapping itself)"
STEP = " | step: "
CALLS = 10  # calls (requests) per step and case
LISTENER = "(listener thread: format and write the access line)"


def _wrapped(step, helper, labels: list[str], label: str):
    def measured(*args):
        helper.window_open()
        try:
            return step(*args)
        finally:
            helper.window_close()
            labels.append(label)

    return measured


def _install(app, pipeline) -> None:
    app.before_request_funcs[None] = [pipeline.run_before]
    app.after_request_funcs[None] = [pipeline.run_after]
    app.teardown_request_funcs[None] = [pipeline.run_teardown]


def measure(app, helper, serve, case, labels: list[str]) -> None:
    """One dump per call of each step of ``case`` (its label appended to ``labels``), the
    no-op first."""
    declared = app.extensions["mlapi.pipeline"]
    seen_of = pipeline_module.seen_of
    log = next(h for h in logging.getLogger("mlapi").handlers if isinstance(h, QueueHandler))
    log.flush()
    log.listener.stop()
    windows = [(NOOP, "before", None)] + [
        (name, kind, index)
        for kind in KINDS
        for index, (name, _) in enumerate(getattr(declared, kind))
    ]
    windows.append((FIGURES, None, None))
    try:
        for name, kind, index in windows:
            label, pipeline = f"{case.label}{STEP}{name}", declared
            if kind is not None:
                steps = list(getattr(declared, kind))
                if index is None:
                    steps.insert(0, (NOOP, _wrapped(lambda: None, helper, labels, label)))
                else:
                    steps[index] = (name, _wrapped(steps[index][1], helper, labels, label))
                pipeline = dataclasses.replace(declared, **{kind: tuple(steps)})
            else:
                pipeline_module.seen_of = _wrapped(seen_of, helper, labels, label)
            _install(app, pipeline)
            serve(app, case, CALLS)
            pipeline_module.seen_of = seen_of
        queued = []
        while not log.queue.empty():
            queued.append(log.queue.get_nowait())

        def handle_and_write(record):  # one line per look: the listener's dearest case
            log.writer.handle(record)
            log.writer.write_pending()

        write = _wrapped(handle_and_write, helper, labels, f"{case.label}{STEP}{LISTENER}")
        # an access line is queued as a tuple of its fields when mlapi's handler alone
        # would see its record (mlapi/ops/logs.py), else as the record
        for record in [r for r in queued if type(r) is tuple or r.name == "mlapi.access"][:CALLS]:
            write(record)
    finally:
        pipeline_module.seen_of = seen_of
        _install(app, declared)
        log.after_fork()  # a new queue and listener thread


def per_step(labels: list[str], windows: list[int], requests: int) -> dict[str, int]:
    """Instructions per request of each case and per call of each step (the no-op's
    subtracted), from each dump's window (``windows[i]``: the dump of ``labels[i]``, the
    empty window subtracted)."""
    found: dict[str, list[int]] = {}
    for label, window in zip(labels, windows, strict=True):
        found.setdefault(label, []).append(window)
    # A step's calls: the median (now and then a window's summary comes out wrapped
    # around 2**64 after a thread switch inside it).
    mean = {
        label: statistics.median(values) if STEP in label else values[0] / requests
        for label, values in found.items()
    }
    noop = {label.split(STEP)[0]: value for label, value in mean.items() if label.endswith(NOOP)}
    return {
        label: round(value - noop[label.split(STEP)[0]] if STEP in label else value)
        for label, value in mean.items()
        if not label.endswith(NOOP)
    }
