"""util.time's formats follow Java's DateTimeFormatter, which AppSync names as their syntax
(AppSync developer guide, "Time helpers in util.time").

DateTimeFormatter's documentation, "Patterns for Formatting and Parsing": for a Number, "if
the count of letters is one, then the value is output using the minimum number of digits and
without padding"; other run lengths have their own meanings (five M is the narrow month
name, four Z the localized offset "GMT"), and too many letters are an error.
"""

import pytest

from local.appsync.time_format import format_epoch_ms, parse_to_epoch_ms

JAN_5_2024 = 1704412800000  # 2024-01-05T00:00:00Z


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("d/M/yyyy H:m:s", "5/1/2024 0:0:0"),
        ("dd/MM/yyyy HH:mm:ss", "05/01/2024 00:00:00"),
        ("h a', day 'D", "12 AM, day 5"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2024-01-05T00:00:00+0000"),
    ],
)
def test_one_letter_numbers_are_unpadded_two_are_padded(pattern: str, expected: str) -> None:
    assert format_epoch_ms(JAN_5_2024, pattern, "UTC") == expected


def test_an_unpadded_date_parses_back() -> None:
    assert parse_to_epoch_ms("5/1/2024 0:0", "d/M/yyyy H:m", "UTC") == JAN_5_2024


@pytest.mark.parametrize("pattern", ["MMMMM", "ZZZZ", "ddd", "HHH"])
def test_runs_with_another_meaning_in_java_are_refused_not_guessed(pattern: str) -> None:
    with pytest.raises(ValueError, match="not supported locally"):
        format_epoch_ms(JAN_5_2024, pattern, "UTC")
