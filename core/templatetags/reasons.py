"""`{% reason message english %}`: a stored reason in the reader's language (core/reasons.py)."""

from django import template

from core import reasons

register = template.Library()


@register.simple_tag
def reason(message, english=""):
    return reasons.shown(message, english)
