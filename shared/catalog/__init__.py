"""The event catalog: one pydantic model per event type, with its version and NATS subject.

A model's `TYPE` is the CloudEvents type without the `de.bottrop.hallobot.` prefix; the subject
is `hallobot.<TYPE>.<entity id>`. Payloads of public types carry no personal data.
A breaking change to a payload gets a new VERSION (announced in `dataschema`), never a silent edit.
The models live in one module per publishing service; import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.catalog.base import SCHEMA_BASE, EventData, UnknownEventType
from shared.catalog.directory import (
    BusinessArchived,
    BusinessOwnerNotice,
    BusinessPublished,
    BusinessRegistered,
    BusinessUnpublished,
    BusinessUpdated,
    Criterion,
    CriterionLost,
    CriterionMet,
    MilestoneReached,
    NetworkMemberJoined,
    NetworkMemberLeft,
    Offer,
    OfferPublished,
    OfferUpdated,
    OfferWindow,
    OfferWithdrawn,
    OfferWithdrawnReason,
    OwnerNoticeKind,
    RecertificationDue,
    Weekday,
)
from shared.catalog.events import (
    EventCancelled,
    EventPublished,
    EventReminderDue,
    EventUpdated,
    NoticeKind,
    RegistrantNotice,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from shared.catalog.events_attendance import (
    EventAttendanceClosed,
    RegistrationAttendanceUndone,
    RegistrationAttended,
    RegistrationReconfirmationRequested,
    RegistrationReconfirmed,
    RegistrationReleased,
)
from shared.catalog.notifications import DeliveryFailed, DeliverySent
from shared.catalog.notifications_accounts import (
    AccountCreated,
    AccountDeleted,
    AccountRoleChanged,
    AccountTokenCreated,
    AccountTokenRevoked,
)
from shared.catalog.privacy import (
    PRIVACY_SERVICES,
    PrivacyAccessRequested,
    PrivacyErasureRequested,
    PrivacyRequestAnswered,
)
from shared.catalog.wifi import (
    HotspotAvailability,
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotOutageAnnounced,
    HotspotRecoveryAnnounced,
    HotspotRegistered,
    HotspotRenamed,
    HotspotStatus,
    HotspotStatusChanged,
)
from shared.envelope import TYPE_PREFIX, CloudEvent

__all__ = [
    "CATALOG",
    "PRIVACY_SERVICES",
    "SCHEMA_BASE",
    "AccountCreated",
    "AccountDeleted",
    "AccountRoleChanged",
    "AccountTokenCreated",
    "AccountTokenRevoked",
    "BusinessArchived",
    "BusinessOwnerNotice",
    "BusinessPublished",
    "BusinessRegistered",
    "BusinessUnpublished",
    "BusinessUpdated",
    "Criterion",
    "CriterionLost",
    "CriterionMet",
    "DeliveryFailed",
    "DeliverySent",
    "EventAttendanceClosed",
    "EventCancelled",
    "EventData",
    "EventPublished",
    "EventReminderDue",
    "EventUpdated",
    "HotspotAvailability",
    "HotspotIncidentOpened",
    "HotspotIncidentResolved",
    "HotspotMonthlyReport",
    "HotspotOutageAnnounced",
    "HotspotRecoveryAnnounced",
    "HotspotRegistered",
    "HotspotRenamed",
    "HotspotStatus",
    "HotspotStatusChanged",
    "MilestoneReached",
    "NetworkMemberJoined",
    "NetworkMemberLeft",
    "NoticeKind",
    "Offer",
    "OfferPublished",
    "OfferUpdated",
    "OfferWindow",
    "OfferWithdrawn",
    "OfferWithdrawnReason",
    "OwnerNoticeKind",
    "PrivacyAccessRequested",
    "PrivacyErasureRequested",
    "PrivacyRequestAnswered",
    "RecertificationDue",
    "RegistrantNotice",
    "RegistrationAttendanceUndone",
    "RegistrationAttended",
    "RegistrationCancelled",
    "RegistrationConfirmed",
    "RegistrationPromoted",
    "RegistrationReconfirmationRequested",
    "RegistrationReconfirmed",
    "RegistrationReleased",
    "RegistrationWaitlisted",
    "UnknownEventType",
    "Weekday",
    "payload_of",
]

CATALOG: Mapping[str, type[EventData]] = MappingProxyType(
    {
        model.TYPE: model
        for model in (
            BusinessRegistered,
            BusinessUpdated,
            BusinessPublished,
            BusinessUnpublished,
            BusinessArchived,
            BusinessOwnerNotice,
            NetworkMemberJoined,
            NetworkMemberLeft,
            OfferPublished,
            OfferUpdated,
            OfferWithdrawn,
            CriterionMet,
            CriterionLost,
            MilestoneReached,
            RecertificationDue,
            EventPublished,
            EventUpdated,
            EventCancelled,
            RegistrationConfirmed,
            RegistrationWaitlisted,
            RegistrationPromoted,
            RegistrationCancelled,
            EventReminderDue,
            RegistrantNotice,
            RegistrationAttended,
            RegistrationAttendanceUndone,
            EventAttendanceClosed,
            RegistrationReconfirmationRequested,
            RegistrationReconfirmed,
            RegistrationReleased,
            HotspotRegistered,
            HotspotStatusChanged,
            HotspotIncidentOpened,
            HotspotIncidentResolved,
            HotspotOutageAnnounced,
            HotspotRecoveryAnnounced,
            HotspotRenamed,
            HotspotMonthlyReport,
            DeliverySent,
            DeliveryFailed,
            AccountCreated,
            AccountRoleChanged,
            AccountDeleted,
            AccountTokenCreated,
            AccountTokenRevoked,
            PrivacyErasureRequested,
            PrivacyAccessRequested,
            PrivacyRequestAnswered,
        )
    }
)


def payload_of(event: CloudEvent) -> EventData:
    """Validate `event.data` against the catalog model of its type (raises on mismatch)."""
    model = CATALOG.get(event.short_type)
    if model is None or not event.type.startswith(TYPE_PREFIX):
        raise UnknownEventType(f"unknown event type {event.type!r}")
    return model.model_validate(event.data)
