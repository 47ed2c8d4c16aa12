"""Django's makemessages, also finding counted reasons marked with
`core.reasons.ngettext_noop(singular, plural)`: a worker stores them untranslated, and
xgettext knows no such keyword of its own."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
