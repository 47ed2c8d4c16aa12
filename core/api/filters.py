"""Query filters shared by the apps' list endpoints."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO-8601 moment, handed to the database in UTC.

    PostgreSQL refuses offsets beyond ±15:59 ("+23:47" is valid ISO), and a moment
    near year 1 or 9999 can leave the calendar once shifted: both were a 500.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Enter a moment between the years 1 and 9999.") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
