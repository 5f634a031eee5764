"""Cron schedules in words: what is wrong with one, what it means, when it runs next."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def cron_problem(expression: str) -> str | None:
    """Why a schedule is not a valid 5-field cron, in words a person can act on; None when valid."""
    parts = expression.split()
    if len(parts) != 5:
        return (
            f"A schedule has 5 fields (minute hour day-of-month month day-of-week); "
            f"this one has {len(parts)}. Example: 0 * * * * runs every hour."
        )
    if not croniter.is_valid(expression):
        names = (
            "minute (0-59)",
            "hour (0-23)",
            "day of month (1-31)",
            "month (1-12)",
            "day of week (0-6)",
        )
        for name, part in zip(names, parts, strict=True):
            probe = ["*"] * 5
            probe[names.index(name)] = part
            if not croniter.is_valid(" ".join(probe)):
                return f"The {name} field “{part}” is not valid."
        return "This schedule is not a valid cron expression."
    return None


def describe_cron(expression: str) -> str:
    """A plain-words reading of the common cron shapes; the raw fields otherwise."""
    minute, hour, dom, month, dow = expression.split()
    plain = minute.isdigit() and hour.isdigit()
    at = f"{int(hour):02d}:{int(minute):02d}" if plain else None
    if minute.startswith("*/") and hour == "*" and dom == month == dow == "*":
        return f"every {minute[2:]} minutes"
    if minute == "*" and hour == dom == month == dow == "*":
        return "every minute"
    if minute.isdigit() and hour == "*" and dom == month == dow == "*":
        return f"every hour at minute {int(minute)}"
    if minute.isdigit() and hour.startswith("*/") and dom == month == dow == "*":
        return f"every {hour[2:]} hours at minute {int(minute)}"
    if at and dom == month == "*" and dow == "*":
        return f"every day at {at}"
    if at and dom == month == "*" and dow.isdigit() and int(dow) <= 7:
        return f"every {WEEKDAYS[int(dow) % 7]} at {at}"
    if at and dom == month == "*" and dow in ("1-5", "MON-FRI", "mon-fri"):
        return f"every weekday at {at}"
    if at and dom.isdigit() and month == "*" and dow == "*":
        return f"on day {int(dom)} of every month at {at}"
    return f"minute {minute}, hour {hour}, day of month {dom}, month {month}, day of week {dow}"


def next_runs(expression: str, after: datetime, count: int = 3) -> list[datetime]:
    it = croniter(expression, after)
    return [it.get_next(datetime) for _ in range(count)]
