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

`hallobot up` runs it in its own process (`InProcessSink`: a thread with its own event loop, aiosmtpd's
`Controller`), not as one more interpreter: a separate one took 16 MiB for a few hundred lines of
work (bench/README.md). Its log lines go to `<data dir>/logs/mailsink.log` as before. On its own (the
benchmarks start it so):

    python -m hallobot.mailsink --dir var/mail --port 1025 [--host 127.0.0.1]

SIGTERM or SIGINT stops it.
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

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import AsyncMessage
from aiosmtpd.smtp import SMTP

log = logging.getLogger("hallobot.mailsink")

DEFAULT_PORT = 1025
# A fixed hostname: aiosmtpd's default looks up the FQDN, which can hang without DNS.
SERVER_HOSTNAME = "hallobot-mailsink"
LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


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
        lambda: SMTP(handler, hostname=SERVER_HOSTNAME, enable_SMTPUTF8=True),
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


def _quiet_smtp_log() -> None:
    # aiosmtpd logs every SMTP command, addresses included; the kept files are record enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


class InProcessSink:
    """The sink inside `hallobot up`'s own process: aiosmtpd's `Controller` runs it in a thread with an
    event loop of its own. It has the part of `subprocess.Popen`'s interface by which `up` watches and
    stops its parts (hallobot.supervise.Process): `poll()` is None while it serves, `terminate()` stops it."""

    pid = None  # no process of its own

    def __init__(self, directory: Path, host: str, port: int, log_path: Path) -> None:
        self._controller = Controller(
            MailDirHandler(directory), hostname=host, port=port, server_hostname=SERVER_HOSTNAME, enable_SMTPUTF8=True
        )
        self._address = f"{host}:{port}"
        self._directory = directory
        self._returncode: int | None = None
        self._log_handler = logging.FileHandler(log_path, encoding="utf-8", delay=True)
        self._log_handler.setFormatter(logging.Formatter(LOG_FORMAT))

    def start(self) -> None:
        """Serve from now on (returns once the port answers); OSError when it cannot."""
        log.addHandler(self._log_handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # `up`'s terminal shows what `up` says, not every kept mail
        _quiet_smtp_log()
        try:
            self._controller.start()
        except (OSError, TimeoutError, RuntimeError) as exc:
            log.error("cannot listen on %s: %s", self._address, exc)
            self._returncode = 2
            self._close_log()
            raise OSError(f"cannot listen on {self._address}: {exc}") from exc
        log.info("mail sink listening on %s, keeping mails in %s", self._address, self._directory)

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def poll(self) -> int | None:
        thread = self._controller._thread  # aiosmtpd keeps the serving thread there, None once stopped
        if self._returncode is None and (thread is None or not thread.is_alive()):
            self._returncode = 1  # its loop ended without being asked to
        return self._returncode

    def terminate(self) -> None:
        if self.poll() is None:
            self._controller.stop()
            self._returncode = 0
            log.info("mail sink stopped")
        self._close_log()

    kill = terminate

    def _close_log(self) -> None:
        log.removeHandler(self._log_handler)
        self._log_handler.close()

    def wait(self, timeout: float | None = None) -> int | None:
        return self.poll()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hallobot.mailsink", description="SMTP sink that keeps every mail as an .eml file"
    )
    parser.add_argument("--dir", required=True, type=Path, help="directory for the .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stdout)
    _quiet_smtp_log()
    try:
        asyncio.run(serve(args.dir.resolve(), args.host, args.port))
    except OSError as exc:
        print(f"mail sink: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
