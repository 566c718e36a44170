from django import template

from perfplan.actors import actor_label

register = template.Library()


@register.filter
def actor(user) -> str:
    """Who made a change, as people read it: name, «Sistema (riga di comando)» or «utente eliminato»."""
    return actor_label(user)
