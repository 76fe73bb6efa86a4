"""The outbox relay: publishes committed outbox rows to JetStream, in order, exactly once.

- Pipelined: a round publishes its rows in windows (`window`, HALLOBOT_RELAY_WINDOW) without
  waiting for each PubAck, then reads the PubAcks in row order (`acks.py`: an inbox of its own,
  as nats-py's publish_async leaves a refused publish's future pending, nats.py #985).
- Order per stream: a row whose predecessor on its stream is in flight carries
  `Nats-Expected-Last-Msg-Id` = the predecessor's id, so the server refuses it if the predecessor
  did not land; the round keeps what was acknowledged up to the first failed row and the next
  round starts there. Rows of other streams behind it go out again; dedup drops the copies (the
  server checks the dedup window before the expected last id).
- A row that can never be published (over the broker's max payload, refused by the stream for
  good) would stop it for ever: such a row is parked with its reason instead (`parking.py`), and
  the rows behind it go on in order.
- Exactly once: each message carries `Nats-Msg-Id` = event id; a row published but not yet marked
  (crash in between) is re-published on restart and the server drops the copy (dedup window).
- Several relays on one PostgreSQL database: a transaction-scoped advisory lock lets one relay
  work at a time; the others find it taken and wait. A round holds it for up to four batches; while
  one batch is published, the round's connection marks the batch before and reads the one after.
  On SQLite a service runs one relay per file (its rounds, too, read the next batch meanwhile).
  A round's commit does not wait for its WAL flush (`synchronous_commit` off for that transaction
  only): marks lost in a database crash are rows published again, dropped by the dedup window.
- Finding the rows: a partial index holds only the rows that wait (`ix_outbox_pending`), so a
  round's read stays cheap however much history the table keeps, and a mark removes an entry.
- Wake-up: `wake()` is called right after a commit that staged events; a slow poll remains as a
  safety net for rows written by other processes.
- SQLite: one writer at a time, so rows commit in `seq` order and the relay reads on from the last
  seq it published (a primary-key range, however many rows wait to be marked). It marks what it
  published in one range UPDATE per `mark_delay` or `batch_size` rows instead of one write
  transaction per round: a round that carries a single row (a mail marked sent) then costs a read
  and a publish. A crash before the mark re-publishes those rows on restart, and the server drops
  the copies (Nats-Msg-Id, within the stream's dedup window). Housekeeping never deletes the newest
  row, so SQLite never hands out a seq the relay has already passed.
"""

from shared.relay.relay import OutboxRelay

__all__ = ["OutboxRelay"]
