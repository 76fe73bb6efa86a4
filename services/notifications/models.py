"""Tables of the notifications service; it owns this database and no other service reads it."""

from sqlalchemy import MetaData

from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
