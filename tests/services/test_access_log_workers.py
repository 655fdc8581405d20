"""Under gunicorn, each worker writes its access lines from a listener thread of its own
(mlapi/ops/logs.py): every request's line is in the log once the server has stopped."""

import json
import secrets

from tests.services.conftest import Host, free_port, host_environment, wait_until_ready

REQUESTS = 40


def test_every_request_of_every_worker_has_its_line_when_the_server_stops(tmp_path):
    port = free_port()
    host = Host(
        "access-log",
        f"http://127.0.0.1:{port}",
        tmp_path,
        host_environment(
            MLAPI_ENV="production",
            MLAPI_SECRET_KEY=secrets.token_urlsafe(48),
            MLAPI_AUTO_MIGRATE="true",
            MLAPI_WORKERS="2",
            MLAPI_BIND=f"127.0.0.1:{port}",
            MLAPI_INSTANCE_PATH=str(tmp_path / "instance"),
        ),
    )
    ids = [f"line-{number}-{secrets.token_hex(4)}" for number in range(REQUESTS)]
    try:
        host.start()
        wait_until_ready([host])
        for request_id in ids:
            answer = host.get("/livez", headers={"X-Request-ID": request_id})
            assert answer.headers["X-Request-ID"] == request_id
    finally:
        host.stop()

    lines = [
        json.loads(line)
        for line in host.full_log().splitlines()
        if '"logger": "mlapi.access"' in line
    ]
    logged = [line["request_id"] for line in lines if line["request_id"] in ids]
    assert sorted(logged) == sorted(ids)  # each once: none lost, none written twice
    assert all(
        line["endpoint"] == "/livez" and line["status"] == 200
        for line in lines
        if line["request_id"] in ids
    )
