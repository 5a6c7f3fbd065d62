"""ISO weeks as people write them ("2026-W48") and as the database keys them (their Monday)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
ONE_WEEK = timedelta(weeks=1)


def week_start(text: str) -> date:
    """The Monday of an ISO week string such as ``2026-W48``; ValueError when malformed or when
    the year has no such week (W53 exists only in long years)."""
    match = _ISO_WEEK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W48")
    year, week = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a week of {year}") from error


def week_label(day: date) -> str:
    """The ISO week string of the week containing ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    """The Monday starting the ISO week that contains ``day``."""
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> Iterator[date]:
    """The Mondays of every week from the one containing ``first`` to the one containing
    ``last``, both included; nothing when ``last`` comes before ``first``."""
    monday = monday_of(first)
    end = monday_of(last)
    while monday <= end:
        yield monday
        monday += ONE_WEEK
