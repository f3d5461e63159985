"""How `ogrine serve` runs the app: uvicorn, with the request head bounded.

uvicorn's httptools protocol (the one it picks when httptools is installed, as the lock
has it) takes a request line and headers of any size, holding them whole: 300 MB of header
took the service to 512 MB resident. Its h11 protocol bounds what it buffers
(``h11_max_incomplete_event_size``) but answers 400, lets a larger head through when it
arrives in one read, and is slower. An ASGI guard cannot help: the app is called only once
the whole head is in. So the bound is in the protocol: :class:`BoundedHeadProtocol` is
uvicorn's httptools protocol, passed through uvicorn's public ``http`` setting, that feeds
the parser at most ``MAX_HEAD_BYTES`` of a request's head and answers ``431 Request Header
Fields Too Large`` when the head has not ended by then.

After that answer the connection is half-closed: the client reads the 431, and what it
still sends is read and dropped (at most ``LINGER_BYTES``, for ``LINGER_SECONDS``) before
the connection is closed. Closing at once would make the kernel reset the connection over
the unread bytes, and the client could lose the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Far above what a browser sends (a few hundred bytes to a few kB, cookies included), as
# h11's default and Node's.
MAX_HEAD_BYTES = 16 * 1024
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0
MESSAGE = f"the request line and headers are larger than {MAX_HEAD_BYTES} bytes"


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request head bounded to ``MAX_HEAD_BYTES``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_open = True  # a request's head is being received (or is due next)
        self.head_bytes = 0  # of it, fed to the parser so far
        self.refused_bytes: int | None = None  # after a 431: what was dropped since

    def data_received(self, data: bytes) -> None:
        if self.refused_bytes is not None:
            self.refused_bytes += len(data)
            if self.refused_bytes > LINGER_BYTES:
                self.transport.close()
            return
        while data and self.head_open:
            room = MAX_HEAD_BYTES - self.head_bytes
            if room <= 0:  # more of a head that has not ended
                self.refuse()
                return
            fed, data = data[:room], data[room:]
            self.head_bytes += len(fed)
            super().data_received(fed)
            if self.transport.is_closing():  # the parser refused it (400)
                return
        if data:
            super().data_received(data)

    # The parser's callbacks: where a head starts and ends.
    def on_headers_complete(self) -> None:
        self.head_open, self.head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.head_open, self.head_bytes = True, 0

    def refuse(self) -> None:
        """431 and a half-close; the rest of the request is dropped, then the connection."""
        self.refused_bytes = 0
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined answer is under way: no room for ours
            return
        body = MESSAGE.encode()
        head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        defaults = self.server_state.default_headers  # date, server: as uvicorn's own answers
        head += [name + b": " + value + b"\r\n" for name, value in defaults]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def run(host: str, port: int) -> None:
    """The service on ``host:port`` until stopped; the app from the environment."""
    uvicorn.run(
        "ogrine_assets.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        http=BoundedHeadProtocol,
        log_level="info",
        access_log=False,
    )
