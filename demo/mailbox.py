"""A local SMTP server that keeps what it receives: the demo's, the tests' and the
benchmark's mail server (aiosmtpd, a development dependency).

    uv run python -m demo.mailbox --port 8025 --dir .data/mailbox

It can refuse given recipients with a 550 (a hard bounce), and be stopped and
started again on the same port (an SMTP server that is down).
"""

from __future__ import annotations

import argparse
import email
import signal
import threading
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

BOUNCE_REPLY = "550 5.1.1 No such mailbox"


class Handler:
    def __init__(self, bounce: set[str], directory: Path | None, keep: bool = True):
        self.bounce = {address.lower() for address in bounce}
        self.directory = directory
        self.keep = keep
        self.messages: list[Message] = []
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.bounce:
            return BOUNCE_REPLY
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        if self.keep:
            self.messages.append(email.message_from_bytes(envelope.content))
        if self.directory is not None:
            (self.directory / f"{number:06d}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on 127.0.0.1 in a thread of this process."""

    def __init__(self, port: int = 0, *, bounce=(), directory: Path | None = None, keep=True):
        self.handler = Handler(set(bounce), directory, keep)
        self.port = port or _free_port()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def start(self) -> Mailbox:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, help="write each message here as NNNNNN.eml")
    args = parser.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    box = Mailbox(args.port, directory=args.dir, keep=False).start()
    print(f"SMTP server listening on 127.0.0.1:{box.port}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    box.stop()


if __name__ == "__main__":
    main()
