"""`util.time`'s formatted dates: Java DateTimeFormatter patterns, as AppSync documents them.

AppSync's util.time helpers take "the syntax for datetime formats based on DateTimeFormatter"
(AppSync developer guide, "Time helpers in util.time"). This covers the pattern letters such
formats use in practice; any other letter is refused with a clear error rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Java pattern tokens -> strftime/strptime directives. Only these exact runs are accepted:
# Java gives other runs other meanings (MMMMM is a narrow "J", ZZZZ is "GMT", ddd an error).
_DIRECTIVES = {
    "y": "%Y",
    "yyy": "%Y",
    "yyyy": "%Y",
    "uuuu": "%Y",
    "yy": "%y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "hh": "%I",
    "mm": "%M",
    "ss": "%S",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "EE": "%a",
    "E": "%a",
    "Z": "%z",
    "ZZ": "%z",
    "ZZZ": "%z",
    "z": "%Z",
    "zz": "%Z",
    "zzz": "%Z",
    "DDD": "%j",
}
# One letter is the number without padding in Java ("d" of the 5th is "5", not "05"); when
# parsing, strptime's padded directives accept it too.
_UNPADDED: dict[str, tuple[str, Callable[[datetime], int]]] = {
    "M": ("%m", lambda moment: moment.month),
    "d": ("%d", lambda moment: moment.day),
    "H": ("%H", lambda moment: moment.hour),
    "h": ("%I", lambda moment: (moment.hour % 12) or 12),
    "m": ("%M", lambda moment: moment.minute),
    "s": ("%S", lambda moment: moment.second),
    "D": ("%j", lambda moment: moment.timetuple().tm_yday),
}
_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def format_epoch_ms(epoch_ms: float, pattern: str, zone: str) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=_zone(zone))
    out = []
    for token in _tokens(pattern):
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'") or "'")
        elif token[0] == "S":
            out.append(f"{moment.microsecond:06d}"[: len(token)].ljust(len(token), "0"))
        elif token[0] in "Xx":
            out.append(_offset(moment, token))
        elif token in _UNPADDED:
            out.append(str(_UNPADDED[token][1](moment)))
        elif token[0].isalpha():
            out.append(moment.strftime(_directive(token, pattern)))
        else:
            out.append(token)
    return "".join(out)


def parse_to_epoch_ms(text: str, pattern: str, zone: str) -> float:
    directives = []
    for token in _tokens(pattern):
        if token.startswith("'"):
            directives.append(token[1:-1].replace("''", "'").replace("%", "%%"))
        elif token[0] == "S":
            directives.append("%f")
        elif token[0] in "Xx":
            directives.append("%z")
        elif token[0].isalpha():
            directives.append(_directive(token, pattern))
        else:
            directives.append(token.replace("%", "%%"))
    try:
        parsed = datetime.strptime(text, "".join(directives))
    except ValueError as exc:
        raise ValueError(f"{text!r} does not match the format {pattern!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(zone))
    # A float: the quickjs bridge turns a Python int into a 32-bit JS integer.
    return float(round(parsed.timestamp() * 1000))


def _tokens(pattern: str) -> list[str]:
    return [match[0] for match in _TOKEN.finditer(pattern)]


def _directive(token: str, pattern: str) -> str:
    directive = _DIRECTIVES.get(token) or _UNPADDED.get(token, (None, None))[0]
    if directive is None:
        raise ValueError(f"pattern letter {token!r} in {pattern!r} is not supported locally")
    return directive


def _offset(moment: datetime, token: str) -> str:
    offset = moment.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    if seconds == 0 and token[0] == "X":
        return "Z"
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    if len(token) == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    separator = ":" if len(token) >= 3 else ""
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


def _zone(name: str) -> tzinfo:
    if name.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
