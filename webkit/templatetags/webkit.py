"""Tags for the components of ``templates/components/``: ``{% load webkit %}``.

The status badge and the pagers are plain includes; the empty state takes a body
(``{% empty_state %}…{% endempty_state %}``) and the legend its entries as keywords in order."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def words(value) -> str:
    """An enum value as words: ``schema_mismatch`` → ``schema mismatch``."""
    return str(value or "").replace("_", " ")


class EmptyStateNode(template.Node):
    def __init__(self, nodelist, small: bool):
        self.nodelist = nodelist
        self.small = small

    def render(self, context):
        body = mark_safe(self.nodelist.render(context).strip())  # noqa: S308 - rendered template
        return render_to_string("components/empty_state.html", {"body": body, "small": self.small})


@register.tag
def empty_state(parser, token):
    """``{% empty_state [small] %}what is missing, what to do next{% endempty_state %}``."""
    options = token.split_contents()[1:]
    if set(options) - {"small"}:
        raise template.TemplateSyntaxError("empty_state takes only the option 'small'")
    nodelist = parser.parse(("endempty_state",))
    parser.delete_first_token()
    return EmptyStateNode(nodelist, small="small" in options)


@register.inclusion_tag("components/legend.html")
def legend(**entries):
    """``{% legend bar_succeeded="succeeded" note="dashed line: 95 %" %}``: each keyword names a
    swatch of the stylesheet (``.swatch-<keyword>``) and its label; ``note`` has no swatch."""
    return {
        "entries": [
            {"swatch": None if key.startswith("note") else key, "label": label}
            for key, label in entries.items()
        ]
    }


@register.filter
def counted(number, noun: str) -> str:
    """``3|counted:"finding"`` → ``3 findings``; one is singular."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
