"""The runtime of pipec's rule expressions, shipped beside every generated handler.

This module implements exactly the semantics of pipec's own evaluator (src/expr in pipec), so
a rule decides the same on Lambda as under ``pipec run --local``:

* ``None`` is SQL NULL: a missing field, a JSON ``null`` or the result of an undefined
  operation. Arithmetic and comparisons with NULL give NULL.
* AND, OR and NOT follow three-valued (Kleene) logic; a rule flags only when it is ``True``.
* ``int`` arithmetic is checked 64-bit arithmetic: a result outside the range of a signed
  64-bit integer is NULL. An ``int`` with a ``float`` computes in doubles; a result that is not
  finite (overflow, NaN) is NULL.
* ``/`` always divides doubles; ``%`` keeps the sign of the dividend; dividing by zero is NULL.
* ints and floats compare exactly, as Python compares them natively.
* LIKE matches the whole string: ``%`` is any run of characters, ``_`` exactly one.
* Comparisons with a timestamp compare instants (``instant``): ``2024-05-01T12:00:00+02:00``
  equals ``2024-05-01 10:00:00Z``; a time without a zone is read in ``stream.timezone``.

The generated handler calls these functions as ``rt.<name>``; the names follow the operators
(``gt`` is ``>``, ``and_`` is ``AND``).
"""

import datetime
import functools
import json
import math
import operator
import re

_INT_LIMIT = 1 << 63
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Seconds added to Unix seconds so that every instant key is positive.
_KEY_SHIFT = 100_000_000_000


def _int(value):
    """The int when it fits in a signed 64-bit integer, else NULL."""
    return value if -_INT_LIMIT <= value < _INT_LIMIT else None


def _finite(value):
    """The float when it is finite, else NULL."""
    return value if math.isfinite(value) else None


def to_float(value):
    """A float field's value as a double (JSON may write it as an integer)."""
    return None if value is None else float(value)


def _arithmetic(op):
    def apply(a, b):
        if a is None or b is None:
            return None
        if type(a) is int and type(b) is int:
            return _int(op(a, b))
        return _finite(op(float(a), float(b)))

    return apply


add = _arithmetic(operator.add)
sub = _arithmetic(operator.sub)
mul = _arithmetic(operator.mul)


def div(a, b):
    """``a / b`` in doubles; NULL when either is NULL or ``b`` is zero."""
    if a is None or b is None or b == 0:
        return None
    return _finite(float(a) / float(b))


def mod(a, b):
    """``a % b`` with the sign of ``a`` (like C's fmod); NULL when ``b`` is zero."""
    if a is None or b is None or b == 0:
        return None
    if type(a) is int and type(b) is int:
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return _finite(math.fmod(a, b))


def neg(a):
    """Unary minus; NULL for NULL and for the negation of the smallest int."""
    if a is None:
        return None
    return _int(-a) if type(a) is int else -a


def _comparison(op):
    def apply(a, b):
        return None if a is None or b is None else op(a, b)

    return apply


eq = _comparison(operator.eq)
ne = _comparison(operator.ne)
lt = _comparison(operator.lt)
le = _comparison(operator.le)
gt = _comparison(operator.gt)
ge = _comparison(operator.ge)


def not_(a):
    """NOT: NULL stays NULL."""
    return None if a is None else not a


def and_(a, b):
    """AND: FALSE wins over NULL."""
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def or_(a, b):
    """OR: TRUE wins over NULL."""
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def in_(value, *items):
    """``value IN (items)``: TRUE on a match, else NULL when an item is NULL, else FALSE."""
    if value is None:
        return None
    if any(item is not None and item == value for item in items):
        return True
    return None if None in items else False


def between(value, low, high):
    """``value BETWEEN low AND high`` (both ends included)."""
    return and_(ge(value, low), le(value, high))


def is_null(value):
    """``value IS NULL``."""
    return value is None


def is_not_null(value):
    """``value IS NOT NULL``."""
    return value is not None


@functools.lru_cache(maxsize=256)
def _like_pattern(pattern):
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def like(value, pattern):
    """``value LIKE pattern`` over the whole string, case-sensitive, no escape character."""
    return (
        None if value is None else _like_pattern(pattern).fullmatch(value) is not None
    )


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _zone_offset(zone):
    """Seconds east of UTC of ``Z``, ``+HH:MM`` or ``+HHMM``; None when out of range."""
    if zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return (hours * 3600 + minutes * 60) * (-1 if zone[0] == "-" else 1)


def parse_timestamp(text):
    """``(local_seconds, nanos, offset or None)`` of a timestamp's text, else None."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12:
        return None
    last_day = 29 if month == 2 and leap else _DAYS_IN_MONTH[month - 1]
    if not (1 <= day <= last_day and hour <= 23 and minute <= 59 and second <= 59):
        return None
    offset = None
    if zone is not None:
        offset = _zone_offset(zone)
        if offset is None:
            return None
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    days = _days_from_civil(year, month, day)
    return days * 86_400 + hour * 3600 + minute * 60 + second, nanos, offset


def instant(text, default_offset=0):
    """A timestamp's instant as a text ordered like the instants; NULL when not one.

    A time without a zone is read at ``default_offset`` seconds east of UTC.
    """
    parsed = parse_timestamp(text) if type(text) is str else None
    if parsed is None:
        return None
    local, nanos, offset = parsed
    seconds = local - (default_offset if offset is None else offset)
    return f"{seconds + _KEY_SHIFT:012d}.{nanos:09d}"


def now():
    """The current time as RFC 3339 UTC with milliseconds: ``2024-05-01T12:00:00.123Z``."""
    moment = datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


def _valid(value, kind, max_length):
    """Whether a present, non-null value has the field's declared type."""
    if kind == "int":
        return type(value) is int and -_INT_LIMIT <= value < _INT_LIMIT
    if kind == "float":
        # DynamoDB's number range, so that every valid record can be stored.
        return type(value) in (int, float) and (
            value == 0 or 1e-130 <= abs(value) < 1e126
        )
    if kind == "bool":
        return type(value) is bool
    if kind == "string":
        return type(value) is str and (max_length is None or len(value) <= max_length)
    return type(value) is str and parse_timestamp(value) is not None


def validate(record, schema):
    """None for a valid record, else the first problem as ``field: reason``.

    ``schema`` holds one ``(name, type, required, max_length)`` tuple per declared field.
    """
    for name, kind, required, max_length in schema:
        value = record.get(name)
        if value is None:
            if required:
                return name + ": required"
        elif not _valid(value, kind, max_length):
            if kind == "string" and max_length is not None:
                return f"{name}: expected string of at most {max_length} characters"
            return name + ": expected " + kind
    return None


def _reject_constant(constant):
    raise ValueError(constant + " is not a JSON number")


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range: " + text)
    return value


def _parse_int(text):
    # JSON's -0 has no integer value distinct from 0; like pipec's Rust decoder, read it as
    # the float -0.0 (so it is not an int, and a float field keeps its sign).
    return -0.0 if text == "-0" else int(text)


def decode(data, schema):
    """``(record, None)`` for a valid record in ``data`` (bytes), ``(None, reason)`` otherwise.

    One decoding contract with ``pipec run --local``: strict UTF-8 (no byte-order mark, no
    other encoding, no lone surrogate, escaped or not), one JSON object, then ``validate``.
    """
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            return None, "not JSON: a byte-order mark (send UTF-8 without one)"
        record = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
        # A lone surrogate (``"\ud800"``) decodes in Python but is not Unicode text.
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeError as e:
        return None, f"not JSON: not UTF-8 text ({e.reason})"
    except ValueError as e:
        return None, f"not JSON: {e}"
    if type(record) is not dict:
        return None, "not a JSON object"
    reason = validate(record, schema)
    return (None, reason) if reason else (record, None)


def new_state(aggregates):
    """The empty state of a window's aggregates: ``[count, value]`` per aggregate.

    ``aggregates`` holds one ``(kind, field or None, field type or None)`` tuple per
    aggregate; the state is plain JSON, fit for Lambda's tumbling-window state.
    """
    return [[0, None] for _ in aggregates]


def _before(kind, value, best, field_type, timezone):
    """Whether ``value`` replaces ``best`` as the minimum (or maximum)."""
    if field_type == "timestamp":
        value, best = instant(value, timezone), instant(best, timezone)
    return value < best if kind == "min" else value > best


def feed(aggregates, state, record, timezone=0):
    """Adds one valid record to the state (NULL values are skipped, as in SQL).

    ``timezone`` (seconds east of UTC) reads zoneless timestamps for ``min`` and ``max``.
    """
    for (kind, field, field_type), slot in zip(aggregates, state, strict=True):
        value = 1 if field is None else record.get(field)
        if value is None:
            continue
        if field_type == "float":
            value = float(value)
        slot[0] += 1
        first = slot[0] == 1
        if kind in ("sum", "avg"):
            slot[1] = value if first else slot[1] + value
        elif kind in ("min", "max") and (
            first or _before(kind, value, slot[1], field_type, timezone)
        ):
            slot[1] = value


def _finish(kind, field_type, count, value):
    if kind == "count":
        return count
    if count == 0:
        return None
    if kind == "sum":
        return _finite(value) if field_type == "float" else _int(value)
    if kind == "avg":
        return _finite(float(value) / count)
    return value


def results(aggregates, state):
    """The aggregates' final values: count, sum, avg, min and max as SQL defines them."""
    return [
        _finish(kind, field_type, count, value)
        for (kind, _, field_type), (count, value) in zip(aggregates, state, strict=True)
    ]
