"""Business-time arithmetic: nights, weekends, Czech holidays, DST days, 24/7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kbdesk.sla.calendar import (
    PRAGUE,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    czech_holidays,
    easter_sunday,
    format_hours,
    is_open,
    open_until,
    parse_hours,
)
from tests.sla.conftest import local

H = 3600
OFFICE = BusinessCalendar.business("Mon-Fri 08:00-17:00")
EVERY_DAY = BusinessCalendar.business("Mon-Sun 00:00-24:00", czech_holidays=False)
ALWAYS = BusinessCalendar.always()


def add(cal, start, hours):
    return add_business_seconds(cal, start, hours * H).astimezone(PRAGUE)


def between(cal, a, b):
    return business_seconds_between(cal, a, b) / H


def test_done_when_case_easter_2026():
    # Thursday 16:30 + 4 working hours: 30 min Thursday, Good Friday, weekend, Easter Monday,
    # then 3 h 30 min on Tuesday.
    assert add(OFFICE, local(2026, 4, 2, 16, 30), 4) == local(2026, 4, 7, 11, 30)
    assert between(OFFICE, local(2026, 4, 2, 16, 30), local(2026, 4, 7, 11, 30)) == 4


@pytest.mark.parametrize("year, expected", [
    (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))])
def test_easter_sunday(year, expected):
    assert easter_sunday(year) == expected


def test_czech_holidays_2026():
    days = czech_holidays(2026)
    assert set(days) == {date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1),
                         date(2026, 5, 8), date(2026, 7, 5), date(2026, 7, 6), date(2026, 9, 28),
                         date(2026, 10, 28), date(2026, 11, 17), date(2026, 12, 24),
                         date(2026, 12, 25), date(2026, 12, 26)}
    assert days[date(2026, 4, 3)] == "Good Friday"
    assert days[date(2026, 4, 6)] == "Easter Monday"
    assert date(2015, 4, 3) not in czech_holidays(2015)  # Good Friday only since 2016


def test_night_is_skipped():
    assert add(OFFICE, local(2026, 4, 8, 16, 0), 2) == local(2026, 4, 9, 9, 0)
    assert between(OFFICE, local(2026, 4, 8, 17, 0), local(2026, 4, 9, 8, 0)) == 0


def test_filed_at_night_starts_at_opening():
    assert add(OFFICE, local(2026, 4, 8, 22, 15), 1) == local(2026, 4, 9, 9, 0)
    assert add(OFFICE, local(2026, 4, 9, 6, 0), 1) == local(2026, 4, 9, 9, 0)


def test_ends_exactly_at_closing_not_next_morning():
    assert add(OFFICE, local(2026, 4, 8, 16, 0), 1) == local(2026, 4, 8, 17, 0)


def test_weekend_is_skipped():
    assert add(OFFICE, local(2026, 4, 17, 15, 0), 4) == local(2026, 4, 20, 10, 0)
    assert between(OFFICE, local(2026, 4, 17, 17, 0), local(2026, 4, 20, 8, 0)) == 0
    assert between(OFFICE, local(2026, 4, 18, 10, 0), local(2026, 4, 19, 10, 0)) == 0


def test_good_friday_and_easter_monday_are_closed():
    assert between(OFFICE, local(2026, 4, 3, 0, 0), local(2026, 4, 7, 0, 0)) == 0
    assert add(OFFICE, local(2026, 4, 2, 12, 0), 9) == local(2026, 4, 7, 12, 0)


def test_28_october_is_closed():
    # Wednesday 28 October 2026: Tuesday 16:00 + 2 h = Thursday 09:00.
    assert add(OFFICE, local(2026, 10, 27, 16, 0), 2) == local(2026, 10, 29, 9, 0)


def test_christmas_24_to_26_december():
    # 24 Dec 2026 is a Thursday, 25 and 26 follow; Wednesday 23rd 16:00 + 2 h = Monday 28th.
    assert add(OFFICE, local(2026, 12, 23, 16, 0), 2) == local(2026, 12, 28, 9, 0)
    assert between(OFFICE, local(2026, 12, 24, 0, 0), local(2026, 12, 28, 0, 0)) == 0


def test_holidays_can_be_switched_off_and_custom_days_added():
    no_holidays = BusinessCalendar.business("Mon-Fri 08:00-17:00", czech_holidays=False)
    assert add(no_holidays, local(2026, 4, 2, 16, 30), 4) == local(2026, 4, 3, 11, 30)
    custom = BusinessCalendar.business("Mon-Fri 08:00-17:00", holidays=[date(2026, 4, 7)])
    assert add(custom, local(2026, 4, 2, 16, 30), 4) == local(2026, 4, 8, 11, 30)


def test_dst_spring_day_business_hours():
    # Friday 27 March (CET, UTC+1) 16:00 + 2 h = Monday 30 March 09:00 (CEST, UTC+2).
    due = add(OFFICE, local(2026, 3, 27, 16, 0), 2)
    assert due == local(2026, 3, 30, 9, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert local(2026, 3, 27, 16, 0).astimezone(UTC).hour == 15


def test_dst_days_are_23_and_25_hours_long():
    assert between(EVERY_DAY, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 23
    assert between(EVERY_DAY, local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == 25
    assert between(EVERY_DAY, local(2026, 3, 28, 0, 0), local(2026, 3, 31, 0, 0)) == 71


def test_dst_wall_clock_hours_on_a_sunday_calendar():
    # A Sunday shift 01:00-04:00 is 2 real hours on 29 March and 4 on 25 October.
    sunday = BusinessCalendar.business("Sun 01:00-04:00", czech_holidays=False)
    assert between(sunday, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 2
    assert between(sunday, local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == 4
    # 3 h from Saturday ends on the next Sunday shift after the 2 h on DST day.
    assert add(sunday, local(2026, 3, 28, 12, 0), 3) == local(2026, 4, 5, 2, 0)


def test_dst_in_business_hours_every_day():
    cal = BusinessCalendar.business("Mon-Sun 08:00-17:00", czech_holidays=False)
    assert add(cal, local(2026, 3, 28, 16, 0), 2) == local(2026, 3, 29, 9, 0)
    assert add(cal, local(2026, 10, 24, 16, 0), 2) == local(2026, 10, 25, 9, 0)
    assert between(cal, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 9


def test_24x7_counts_real_time_across_dst():
    # 24 real hours from Saturday noon is Sunday 13:00 local after the spring switch.
    assert add(ALWAYS, local(2026, 3, 28, 12, 0), 24) == local(2026, 3, 29, 13, 0)
    assert add(ALWAYS, local(2026, 10, 24, 12, 0), 24) == local(2026, 10, 25, 11, 0)
    assert between(ALWAYS, local(2026, 4, 2, 16, 30), local(2026, 4, 7, 11, 30)) == 115
    assert add(ALWAYS, local(2026, 4, 2, 16, 30), 4) == local(2026, 4, 2, 20, 30)


def test_24x7_against_business_hours():
    start = local(2026, 12, 23, 16, 0)
    assert add(ALWAYS, start, 4) == local(2026, 12, 23, 20, 0)
    assert add(OFFICE, start, 4) == local(2026, 12, 28, 11, 0)


def test_add_and_between_agree():
    start = local(2026, 3, 26, 13, 17)
    for hours in (0.5, 3, 9, 17.25, 40, 123):
        due = add_business_seconds(OFFICE, start, hours * H)
        assert business_seconds_between(OFFICE, start, due) == pytest.approx(hours * H)
        # Adding in two steps is adding once.
        half = add_business_seconds(OFFICE, start, hours * H / 2)
        assert add_business_seconds(OFFICE, half, hours * H / 2) == due


def test_between_is_signed_and_zero_for_same_instant():
    a, b = local(2026, 4, 8, 9, 0), local(2026, 4, 8, 11, 0)
    assert between(OFFICE, a, b) == 2 and between(OFFICE, b, a) == -2
    assert between(OFFICE, a, a) == 0
    assert add_business_seconds(OFFICE, a, 0) == a


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_business_seconds(OFFICE, datetime(2026, 4, 8, 9, 0), 60)


def test_split_shifts_and_parsing():
    cal = BusinessCalendar.business("po-čt 08:00-12:00, 13:00-16:30; pá 08:00-14:00")
    assert add(cal, local(2026, 4, 9, 11, 0), 2) == local(2026, 4, 9, 14, 0)
    assert add(cal, local(2026, 4, 10, 13, 0), 2) == local(2026, 4, 13, 9, 0)
    assert format_hours(cal.hours) == "Mon-Thu 08:00-12:00, 13:00-16:30; Fri 08:00-14:00"
    assert parse_hours(format_hours(cal.hours)) == parse_hours(
        "Mon-Thu 08:00-12:00, 13:00-16:30; Fri 08:00-14:00")


@pytest.mark.parametrize("spec", ["", "Mon-Fri", "Xyz 08:00-10:00", "Mon 17:00-08:00",
                                  "Mon 08:00-12:00, 11:00-13:00", "Mon 25:00-26:00"])
def test_bad_hours_are_refused(spec):
    with pytest.raises(ValueError):
        BusinessCalendar.business(spec)


def test_open_until():
    assert is_open(OFFICE, local(2026, 4, 8, 10, 0))
    assert open_until(OFFICE, local(2026, 4, 8, 10, 0)) == local(2026, 4, 8, 17, 0)
    assert not is_open(OFFICE, local(2026, 4, 6, 10, 0))  # Easter Monday
    assert not is_open(OFFICE, local(2026, 4, 8, 18, 0))
    assert is_open(ALWAYS, local(2026, 4, 6, 3, 0))


def test_long_spans_stay_correct():
    # A whole year of office hours: 251 working days in 2026 (weekdays minus weekday holidays).
    start, end = local(2026, 1, 1, 0, 0), local(2027, 1, 1, 0, 0)
    weekdays = sum(1 for i in range(365) if (date(2026, 1, 1) + timedelta(days=i)).weekday() < 5)
    weekday_holidays = sum(1 for d in czech_holidays(2026) if d.weekday() < 5)
    assert between(OFFICE, start, end) == (weekdays - weekday_holidays) * 9
