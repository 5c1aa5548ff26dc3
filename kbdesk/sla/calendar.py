"""Business-time arithmetic: pure functions over opening hours, a time zone and holidays.

Opening hours are wall-clock minutes per weekday in the calendar's time zone. Each day's
intervals are turned into absolute (UTC) instants at the edges, so nights, weekends,
holidays and daylight-saving switches all fall out of the same loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")
DAY_MINUTES = 24 * 60
# A calendar that never opens would loop forever; ten years is far beyond any SLA target.
MAX_DAYS = 3660

Hours = tuple[tuple[tuple[int, int], ...], ...]  # 7 weekdays (Mon..Sun) of (start, end) minutes


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday in a time zone; hours None means 24/7."""

    hours: Hours | None = None
    tz: ZoneInfo = PRAGUE
    holidays: frozenset[date] = field(default_factory=frozenset)
    czech_holidays: bool = True

    @property
    def is_24x7(self) -> bool:
        return self.hours is None

    @classmethod
    def always(cls) -> BusinessCalendar:
        """The 24/7 calendar: every second counts."""
        return cls(hours=None)

    @classmethod
    def business(cls, hours: dict[int, list[tuple[int, int]]] | str, *, tz: str | ZoneInfo = PRAGUE,
                 holidays=(), czech_holidays: bool = True) -> BusinessCalendar:
        """A business-hours calendar from {weekday: [(start_min, end_min)]} or a spec string."""
        parsed = parse_hours(hours) if isinstance(hours, str) else hours
        return cls(hours=normalise_hours(parsed), tz=tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz),
                   holidays=frozenset(holidays), czech_holidays=czech_holidays)


# --- holidays ---------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


FIXED_CZECH = (
    (1, 1, "New Year's Day, Restoration Day of the Czech State"),
    (5, 1, "Labour Day"),
    (5, 8, "Liberation Day"),
    (7, 5, "Saints Cyril and Methodius Day"),
    (7, 6, "Jan Hus Day"),
    (9, 28, "St. Wenceslas Day (Czech Statehood Day)"),
    (10, 28, "Independent Czechoslovak State Day"),
    (11, 17, "Struggle for Freedom and Democracy Day"),
    (12, 24, "Christmas Eve"),
    (12, 25, "Christmas Day"),
    (12, 26, "St. Stephen's Day"),
)


@lru_cache(maxsize=64)
def czech_holidays(year: int) -> dict[date, str]:
    """The Czech public holidays of a year, Good Friday and Easter Monday computed."""
    days = {date(year, m, d): name for m, d, name in FIXED_CZECH}
    easter = easter_sunday(year)
    if year >= 2016:  # Good Friday became a public holiday in 2016
        days[easter - timedelta(days=2)] = "Good Friday"
    days[easter + timedelta(days=1)] = "Easter Monday"
    return dict(sorted(days.items()))


def is_holiday(cal: BusinessCalendar, day: date) -> bool:
    """Whether the calendar is closed all day for a holiday."""
    return day in cal.holidays or (cal.czech_holidays and day in czech_holidays(day.year))


# --- opening hours ----------------------------------------------------------------------

DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "po": 0, "ut": 1, "út": 1, "st": 2, "ct": 3, "čt": 3, "pa": 4, "pá": 4, "so": 5, "ne": 6,
}
SHORT_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TIME = r"(\d{1,2}):(\d{2})"
_RANGE_RE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")


def _minutes(hh: str, mm: str) -> int:
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"Not a time of day: {hh}:{mm}.")
    return h * 60 + m


def _days(token: str) -> list[int]:
    out: list[int] = []
    for part in token.lower().split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"Not a weekday: {part}.")
        a = DAY_NAMES[first]
        b = DAY_NAMES[last] if last else a
        out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return out


def parse_hours(spec: str) -> dict[int, list[tuple[int, int]]]:
    """'Mon-Fri 08:00-17:00; Sat 09:00-12:00' -> {weekday: [(start_min, end_min)]}."""
    hours: dict[int, list[tuple[int, int]]] = {}
    for line in re.split(r"[;\n]+", spec or ""):
        line = line.strip()
        if not line:
            continue
        days_part, _, ranges_part = line.partition(" ")
        if not ranges_part.strip():
            raise ValueError(f"Expected days and hours, e.g. 'Mon-Fri 08:00-17:00': {line}.")
        days = _days(days_part)
        for rng in ranges_part.split(","):
            m = _RANGE_RE.match(rng.strip())
            if not m:
                raise ValueError(f"Not a time range: {rng.strip()}.")
            start, end = _minutes(m[1], m[2]), _minutes(m[3], m[4])
            for d in days:
                hours.setdefault(d, []).append((start, end))
    return hours


def normalise_hours(hours: dict) -> Hours:
    """Seven sorted, non-overlapping tuples of (start, end) minutes; raises ValueError."""
    days: list[tuple[tuple[int, int], ...]] = []
    for wd in range(7):
        ranges = sorted((int(a), int(b)) for a, b in (hours.get(wd) or hours.get(str(wd)) or []))
        for a, b in ranges:
            if not 0 <= a < b <= DAY_MINUTES:
                raise ValueError(f"{SHORT_NAMES[wd]}: a range must start before it ends.")
        for (_a1, b1), (a2, _b2) in zip(ranges, ranges[1:], strict=False):
            if a2 < b1:
                raise ValueError(f"{SHORT_NAMES[wd]}: ranges overlap.")
        days.append(tuple(ranges))
    if not any(days):
        raise ValueError("The calendar must be open at least once a week.")
    return tuple(days)


def format_hours(hours: Hours | None) -> str:
    """The opening hours as a spec string parse_hours reads back ('24/7' for None)."""
    if hours is None:
        return "24/7"

    def fmt(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    parts: list[str] = []
    wd = 0
    while wd < 7:
        ranges = hours[wd]
        end = wd
        while end + 1 < 7 and hours[end + 1] == ranges:
            end += 1
        if ranges:
            days = SHORT_NAMES[wd] if end == wd else f"{SHORT_NAMES[wd]}-{SHORT_NAMES[end]}"
            parts.append(days + " " + ", ".join(f"{fmt(a)}-{fmt(b)}" for a, b in ranges))
        wd = end + 1
    return "; ".join(parts)


def _wall(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant (UTC) a wall clock in tz shows minutes after midnight of day."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=8192)
def open_intervals(cal: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The calendar's open intervals on a local day, as UTC instants (empty on holidays)."""
    if cal.hours is None:
        return ((_wall(day, 0, cal.tz), _wall(day, DAY_MINUTES, cal.tz)),)
    if is_holiday(cal, day):
        return ()
    out = []
    for a, b in cal.hours[day.weekday()]:
        start, end = _wall(day, a, cal.tz), _wall(day, b, cal.tz)
        if end > start:  # a range swallowed by a DST gap has no length
            out.append((start, end))
    return tuple(out)


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return dt.astimezone(UTC)


def add_business_seconds(cal: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The earliest instant at which `seconds` of business time have passed since start."""
    start = _utc(start)
    if seconds <= 0:
        return start
    if cal.is_24x7:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(cal.tz).date()
    for _ in range(MAX_DAYS):
        for a, b in open_intervals(cal, day):
            if b <= start:
                continue
            a = max(a, start)
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        day += timedelta(days=1)
    raise ValueError("The calendar has no opening hours in reach.")


def business_seconds_between(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Business seconds from start to end (negative when end is before start)."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_seconds_between(cal, end, start)
    if cal.is_24x7:
        return (end - start).total_seconds()
    total = timedelta()
    day, last = start.astimezone(cal.tz).date(), end.astimezone(cal.tz).date()
    while day <= last:
        for a, b in open_intervals(cal, day):
            a, b = max(a, start), min(b, end)
            if b > a:
                total += b - a
        day += timedelta(days=1)
    return total.total_seconds()


def is_open(cal: BusinessCalendar, at: datetime) -> bool:
    """Whether business time is passing at this instant."""
    return open_until(cal, at) is not None


def open_until(cal: BusinessCalendar, at: datetime) -> datetime | None:
    """The end of the open interval containing `at` (None when closed; far future for 24/7)."""
    at = _utc(at)
    if cal.is_24x7:
        return datetime.max.replace(tzinfo=UTC)
    day = at.astimezone(cal.tz).date()
    for a, b in open_intervals(cal, day):
        if a <= at < b:
            return b
    return None
