"""The relay's reading of a PubAck (shared/relay/acks.py `duplicate`): the common answer is told
without parsing JSON, every other one as nats-py would read it."""

from __future__ import annotations

import pytest
from nats.aio.msg import Msg
from nats.js.errors import APIError, NoStreamResponseError

from shared.relay.acks import duplicate


def reply(data: bytes, headers: dict[str, str] | None = None) -> Msg:
    return Msg(_client=None, subject="_INBOX.x.1", data=data, headers=headers)  # type: ignore[arg-type]


def test_a_plain_puback_is_no_copy_and_a_dropped_copy_is_told_as_such():
    assert duplicate(reply(b'{"stream":"WIFI", "seq":7}')) is False
    assert duplicate(reply(b'{"stream":"WIFI", "seq":7,"duplicate": true}')) is True
    assert duplicate(reply(b'{"stream":"WIFI","domain":"hub","seq":7,"duplicate":true}')) is True


def test_a_refusal_no_stream_or_anything_else_raises_as_nats_py_would():
    with pytest.raises(APIError, match="wrong last msg ID"):
        duplicate(reply(b'{"error":{"code":400,"err_code":10071,"description":"wrong last msg ID: r1"}}'))
    with pytest.raises(APIError, match="wrong last"):  # a stream named so does not make it a PubAck
        duplicate(reply(b'{"stream":"X","error":{"code":400,"err_code":10071,"description":"wrong last msg ID"}}'))
    with pytest.raises(NoStreamResponseError):
        duplicate(reply(b"", headers={"Status": "503"}))
    with pytest.raises(APIError, match="not a PubAck"):
        duplicate(reply(b'{"seq":7}'))
