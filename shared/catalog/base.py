"""`EventData`, the base of every catalog payload: its type, version, subject and envelope."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.envelope import TYPE_PREFIX, CloudEvent, new_event_id, utcnow

SCHEMA_BASE = "https://hallo-bot.de/schemas/events"


class EventData(BaseModel):
    """Base of all catalog payloads."""

    model_config = ConfigDict(extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    SUBJECT_FIELD: ClassVar[str]
    SOURCE: ClassVar[str]

    def entity_id(self) -> str:
        return str(getattr(self, self.SUBJECT_FIELD))

    @classmethod
    def full_type(cls) -> str:
        return TYPE_PREFIX + cls.TYPE

    @classmethod
    def subject_pattern(cls) -> str:
        return f"hallobot.{cls.TYPE}.*"

    @classmethod
    def dataschema(cls) -> str:
        return f"{SCHEMA_BASE}/{cls.TYPE}/v{cls.VERSION}.json"

    def nats_subject(self) -> str:
        return f"hallobot.{self.TYPE}.{self.entity_id()}"

    def to_event(self, event_id: str | None = None) -> CloudEvent:
        return CloudEvent(
            id=event_id or new_event_id(),
            source=self.SOURCE,
            type=self.full_type(),
            subject=self.entity_id(),
            time=utcnow(),
            dataschema=self.dataschema(),
            data=self.model_dump(mode="json"),
        )


class UnknownEventType(ValueError):
    pass
