"""Local SMTP sink for `hallobot up`: accepts every mail and keeps it as an .eml file.

Nothing is relayed anywhere. Each accepted message becomes one file in the mail directory,
named `<UTC timestamp>-<counter>.eml` (e.g. `20250101T120000.123456Z-000001.eml`), so the
files sort in arrival order. The handler is aiosmtpd's own `AsyncMessage`: it parses the message
and adds the envelope as headers (which may differ from the To/Cc headers, e.g. for Bcc):

    X-Peer: ('127.0.0.1', 50312)
    X-MailFrom: <envelope sender>
    X-RcptTo: <envelope recipient>, <envelope recipient>, ...

A file is written under a temporary name, fsynced and renamed when complete, so whoever watches the
directory never reads half a mail; then one log line per kept mail ("kept a mail for N recipient(s)
as <file>") tells the benchmark (bench/notify.py) that it arrived.

Run on its own (this is how `hallobot up` starts it, as a separate process so that Ctrl-C
stops it cleanly):

    python -m hallobot.mailsink --dir var/mail --port 1025 [--host 127.0.0.1]

SIGTERM or SIGINT stops it. `MailDirHandler` can also be used in-process with aiosmtpd.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

from aiosmtpd.handlers import AsyncMessage
from aiosmtpd.smtp import SMTP

log = logging.getLogger("hallobot.mailsink")

DEFAULT_PORT = 1025


class MailDirHandler(AsyncMessage):
    """aiosmtpd handler that stores each message as `<dir>/<timestamp>-<counter>.eml`."""

    def __init__(self, directory: Path | str) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Continue after the files already there, so a restarted sink never reuses a counter.
        self._counter = itertools.count(self._highest_counter() + 1)

    def _highest_counter(self) -> int:
        highest = 0
        for path in self.directory.glob("*.eml"):
            tail = path.stem.rpartition("-")[2]
            if tail.isdigit():
                highest = max(highest, int(tail))
        return highest

    def store(self, content: bytes) -> Path:
        """Write one message and return the path of its .eml file."""
        with self._lock:
            number = next(self._counter)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        final = self.directory / f"{stamp}-{number:06d}.eml"
        partial = final.with_name(f".{final.name}.part")
        with open(partial, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
        return final

    async def handle_message(self, message: Message) -> None:
        path = await asyncio.to_thread(self.store, message.as_bytes())
        recipients = [address for address in (message["X-RcptTo"] or "").split(",") if address.strip()]
        log.info("kept a mail for %d recipient(s) as %s", len(recipients), path.name)


async def serve(directory: Path, host: str, port: int) -> None:
    """Run the sink until SIGTERM or SIGINT."""
    handler = MailDirHandler(directory)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(
        # A fixed hostname: aiosmtpd's default looks up the FQDN, which can hang without DNS.
        lambda: SMTP(handler, hostname="hallobot-mailsink", enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
    log.info("mail sink listening on %s:%d, keeping mails in %s", host, port, directory)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        log.info("mail sink stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hallobot.mailsink", description="SMTP sink that keeps every mail as an .eml file"
    )
    parser.add_argument("--dir", required=True, type=Path, help="directory for the .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    # aiosmtpd logs every SMTP command, addresses included; the kept files are record enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(args.dir.resolve(), args.host, args.port))
    except OSError as exc:
        print(f"mail sink: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
