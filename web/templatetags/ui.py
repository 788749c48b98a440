"""Small presentation helpers shared by every page (stars, level meters, prices, safe redirects)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def meter(value, maximum: int = 5, kind: str = "difficulty", label: str = ""):
    """A row of filled and empty symbols with a text alternative ("난이도 3/5")."""
    try:
        level = max(0, min(int(value), maximum))
    except (TypeError, ValueError):
        level = 0
    symbol = "●" if kind == "difficulty" else "◆" if kind == "activity" else "♥"
    cells = format_html_join("", '<span class="meter__on">{}</span>', ((symbol,) for _ in range(level)))
    empty = format_html_join("", '<span class="meter__off">{}</span>', ((symbol,) for _ in range(maximum - level)))
    return format_html(
        '<span class="meter meter--{}" role="img" aria-label="{} {}/{}">{}{}</span>',
        kind,
        label,
        level,
        maximum,
        cells,
        empty,
    )


@register.simple_tag
def stars(value, maximum: int = 5):
    """A star rating to one decimal, readable by screen readers ("평점 4.3/5")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    return format_html(
        '<span class="rating" role="img" aria-label="평점 {}/{}"><span class="rating__star" aria-hidden="true">★</span>'
        '<span aria-hidden="true">{}</span></span>',
        f"{number:.1f}",
        maximum,
        f"{number:.1f}",
    )


@register.filter
def won(value) -> str:
    """25000 → '25,000원'."""
    try:
        return f"{int(value):,}원"
    except (TypeError, ValueError):
        return ""


@register.filter
def party(room) -> str:
    """'2-4인', or '4인' when the range is one size."""
    if room.min_players == room.max_players:
        return f"{room.min_players}인"
    return f"{room.min_players}-{room.max_players}인"
