"""The local mail sink as `hallobot up` runs it: in `up`'s own process (a thread with its own event
loop), on a real port, spoken to with the standard library's SMTP client."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest

from hallobot.mailsink import InProcessSink
from hallobot.ports import free_port
from hallobot.supervise import tcp_open


def _mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "amt@bottrop.de", "citizen@example.org", subject
    message.set_content("Hallo Bottrop")
    return message


def test_the_sink_in_ups_process_keeps_every_mail_until_it_is_stopped(tmp_path):
    port = free_port()
    sink = InProcessSink(tmp_path / "mail", "127.0.0.1", port, tmp_path / "mailsink.log")
    sink.start()
    try:
        assert sink.poll() is None, "it serves once start() has returned"
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(_mail("Erste"))
            smtp.send_message(_mail("Zweite"))
    finally:
        sink.terminate()

    kept = sorted((tmp_path / "mail").glob("*.eml"))
    assert [path.read_text().count("Subject: Erste") for path in kept] == [1, 0]
    assert "Subject: Zweite" in kept[1].read_text() and "X-RcptTo: citizen@example.org" in kept[1].read_text()
    assert sink.poll() == 0 and sink.returncode == 0, "stopped when asked: exit code 0"
    assert not tcp_open("127.0.0.1", port), "its port is closed once stopped"
    log = (tmp_path / "mailsink.log").read_text()
    assert f"kept a mail for 1 recipient(s) as {kept[0].name}" in log and "mail sink stopped" in log, log
    assert "citizen@example.org" not in log, "aiosmtpd's own lines (addresses in every command) stay out"


def test_a_sink_that_cannot_listen_says_where_and_why(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sink = InProcessSink(tmp_path / "mail", "127.0.0.1", port, tmp_path / "mailsink.log")
        with pytest.raises(OSError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
            sink.start()
    assert sink.poll() == 2
    assert f"cannot listen on 127.0.0.1:{port}" in (tmp_path / "mailsink.log").read_text()


def test_a_sink_whose_loop_ends_unasked_is_seen_as_stopped_so_up_stops_everything(tmp_path):
    port = free_port()
    sink = InProcessSink(tmp_path / "mail", "127.0.0.1", port, tmp_path / "mailsink.log")
    sink.start()
    controller = sink._controller
    thread = controller._thread
    assert thread is not None
    controller.loop.call_soon_threadsafe(controller.loop.stop)  # as if its loop had died
    thread.join(10)
    assert sink.poll() == 1, "up's watch (hallobot/up.py) reports a part that stopped with exit code 1"
    assert not tcp_open("127.0.0.1", port)
    sink.terminate()  # already stopped: nothing more to do, and the code stays what it was
    assert sink.returncode == 1
