"""A part is ready once it answered as itself, not once something answers on its port:
each probe against real HTTP servers on 127.0.0.1 answering as the part would, and as
another program would."""

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

import pytest

from ogrine_assets.local.readiness import (
    NotItself,
    Part,
    dagster_webserver,
    forecast_service,
    mlflow_server,
    wait_until_ready,
)
from ogrine_assets_tests.net import free_port

Answers = dict[str, tuple[int, str, bytes]]  # path -> status, content type, body
JSON = "application/json"


@contextmanager
def server(answers: Answers) -> Iterator[str]:
    """An HTTP server on a free port answering ``answers`` (404 elsewhere); its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, kind, body = answers.get(self.path, (404, "text/html", b"<h1>nope</h1>"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_each_part_is_recognised_by_what_only_it_answers() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    for probe in (dagster_webserver, mlflow_server, forecast_service):
        assert probe(nobody) is None  # nothing answers yet
    dagster = {"/server_info": (200, JSON, b'{"dagster_webserver_version": "1.13.27"}')}
    mlflow = {"/health": (200, "text/plain", b"OK"), "/version": (200, "text/plain", b"")}
    mlflow["/version"] = (200, "text/plain", version("mlflow").encode())
    ready = {"/health": (200, JSON, b'{"status": "ready", "model_version": "3"}')}
    no_forecast_yet = {"/health": (503, JSON, b'{"status": "unavailable", "reason": "..."}')}
    with server(dagster) as url:
        assert dagster_webserver(url) == ""
        assert forecast_service(url) == "its /health answered HTTP 404 without the service's status"
    with server(mlflow) as url:
        assert mlflow_server(url) == ""
        assert dagster_webserver(url) == (
            "its /server_info answered HTTP 404 without Dagster's versions"
        )
    for answers in (ready, no_forecast_yet):
        with server(answers) as url:
            assert forecast_service(url) == ""
            assert mlflow_server(url) is not None and mlflow_server(url) != ""
    another_mlflow = {**mlflow, "/version": (200, "text/plain", b"0.1.0")}
    with server(another_mlflow) as url:
        assert "not MLflow " in (mlflow_server(url) or "")
    with server({"/health": (200, "text/html", b"<p>fine</p>")}) as url:
        assert forecast_service(url) == (
            "its /health answered HTTP 200 without the service's status"
        )


def test_waiting_names_the_part_whose_port_another_program_answers_on() -> None:
    stopping = threading.Event()
    said: list[str] = []
    with server({}) as other, server({"/health": (503, JSON, b'{"status": "x"}')}) as service:
        parts = {
            "forecast": Part(service, forecast_service, "the forecast service"),
            "Dagster UI": Part(other, dagster_webserver, "Dagster's webserver"),
        }
        with pytest.raises(NotItself) as impostor:
            wait_until_ready(parts, lambda: True, stopping, 60, said.append)
        assert str(impostor.value) == (
            f"the Dagster UI's address {other} answers, but not as Dagster's webserver (its "
            "/server_info answered HTTP 404 without Dagster's versions): another program "
            "holds it"
        )
        del parts["Dagster UI"]
        assert wait_until_ready(parts, lambda: True, stopping, 60, said.append) is True
        assert wait_until_ready(parts, lambda: False, stopping, 60, said.append) is False
    assert said == []
