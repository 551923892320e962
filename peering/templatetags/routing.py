"""Template helpers for routing evidence: the VRP set in use and how fresh it is."""

from django import template

from peering.services.rpki import current_vrp_set

register = template.Library()


@register.simple_tag
def vrp_set_in_use():
    """The newest imported VRP set, or None (one query)."""
    return current_vrp_set()
