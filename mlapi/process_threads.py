"""Background threads that belong to one process: started by the process's first request,
and again in a process forked after it (gunicorn forks its workers after ``create_app``;
a thread does not survive a fork)."""

import os
from collections.abc import Callable

from flask import Flask


def first_request_starter(
    app: Flask, extension_key: str, ensure: Callable[[Flask], object]
) -> Callable[[], None]:
    """A request hook (a step of ``mlapi.pipeline``) that calls ``ensure(app)`` unless
    ``app.extensions[extension_key]`` holds an object started in this process (its
    ``pid``)."""

    def start_in_this_process() -> None:
        running = app.extensions.get(extension_key)
        if running is None or running.pid != os.getpid():
            ensure(app)

    return start_in_this_process
