"""Use cases of the events service: each takes a command or plain values and the `Store` of the
caller's unit of work (one transaction: state change and outbox), and raises shared.errors."""

from services.events.handlers.attendance import check_in, close_attendance
from services.events.handlers.events import (
    add_slots,
    cancel_event,
    create_event,
    create_series,
    publish_event,
    update_event,
)
from services.events.handlers.reconfirm import reconfirm, run_reconfirmation
from services.events.handlers.registrations import (
    authorised_registration,
    cancel_registration,
    promote,
    register,
    register_all,
    registration_by_id,
)
from services.events.handlers.upkeep import erase_personal_data, send_reminders

__all__ = [
    "add_slots",
    "authorised_registration",
    "cancel_event",
    "cancel_registration",
    "check_in",
    "close_attendance",
    "create_event",
    "create_series",
    "erase_personal_data",
    "promote",
    "publish_event",
    "reconfirm",
    "register",
    "register_all",
    "registration_by_id",
    "run_reconfirmation",
    "send_reminders",
    "update_event",
]
