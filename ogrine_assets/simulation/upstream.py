"""A loopback stand-in for the Ogrine rates API that answers as of a simulated day.

It serves a series (the embedded synthetic one unless given another) up to the day before
``today`` (set by whoever advances the clock), in the upstream's envelope, and can
misbehave on demand: an outage (HTTP 503 on every request) or a slow answer (a byte at a
time). 127.0.0.1 only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec

from ogrine_assets.rates.synthetic import synthetic_payload

# serve_forever checks for shutdown this often; its default (0.5 s) is what stopping costs.
STOP_POLL_SECONDS = 0.02

NORMAL, OUTAGE, SLOW = "normal", "outage", "slow"


Payload = Callable[[dt.date], dict[str, Any]]  # the envelope as of a day


def rows_as_of(rows: Sequence[dict[str, Any]]) -> Payload:
    """The envelope of ``rows`` (upstream rows, ascending) before each day: what the API
    would have answered then."""

    def payload(today: dt.date) -> dict[str, Any]:
        cutoff = f"{today.isoformat()}T00:00:00"
        known = [row for row in rows if str(row["datetime"]) < cutoff]
        return {"status": 200, "sort": "ASC", "limit": None, "count": len(known), "rates": known}

    return payload


class SimulatedUpstream:
    def __init__(self, today: dt.date, payload: Payload = synthetic_payload) -> None:
        self.today = today
        self.payload = payload
        self.mode = NORMAL
        self.requests = 0
        self._stopped = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                upstream.requests += 1
                if upstream.mode == OUTAGE:
                    self._send(503, b"down for maintenance", "text/plain")
                    return
                body = msgspec.json.encode(upstream.payload(upstream.today))
                if upstream.mode == SLOW:
                    self._drip(body)
                    return
                self._send(200, body, "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for start in range(0, len(body), 64):
                    if upstream._stopped.wait(0.2):
                        return
                    try:
                        self.wfile.write(body[start : start + 64])
                        self.wfile.flush()
                    except OSError:  # the client gave up: what a slow answer is for
                        return

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/ogrineRates"

    def __enter__(self) -> SimulatedUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
