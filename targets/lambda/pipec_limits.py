"""AWS's limits and the one alert format, exactly as `pipec run --local` applies them.

Mirrors src/limits.rs (DynamoDB item size, key sizes, numbers) and src/alert.rs (subject,
message, truncation): a record that DynamoDB would refuse is dead-lettered with the same reason on
every target, and every alert message fits SNS. Shipped beside every generated handler.
"""

import json

ITEM_BYTES = 400 * 1024
PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024
MESSAGE_BYTES = 256 * 1024 - 1024
SUBJECT_CHARS = 100
# The characters of each string group value a window alert over MESSAGE_BYTES keeps.
GROUP_VALUE_CHARS = 1024
# The viewer index's constant partition, in every stored item.
VIEW = "1"
# The dead letter shows at most this much of the record (as the local dead-letter file does).
DEAD_LETTER_SHOWN = 64 * 1024
# SQS's message limit.
QUEUE_MESSAGE_BYTES = 256 * 1024


def in_number_range(value):
    """DynamoDB's number range: zero, or a magnitude in [1e-130, 1e126)."""
    return value == 0 or 1e-130 <= abs(value) < 1e126


def float_value(value):
    """A float field's value as stored and sent: the double its JSON number reads as (what
    the rules compare); an integer that is exactly its double stays an integer."""
    if type(value) is int and float(value) == value:
        return value
    return float(value)


def storable(value):
    """A computed number as stored and sent: a float outside DynamoDB's range becomes the
    text of its shortest printout (as pipec writes it: ``"1.5e+200"``)."""
    if type(value) is float and not in_number_range(value):
        return repr(value)
    return value


def _utf8_size(text):
    return len(text.encode("utf-8", "surrogatepass"))


def _significant_digits(number):
    text = repr(number) if isinstance(number, float) else str(number)
    mantissa = text.lower().split("e")[0]
    digits = "".join(c for c in mantissa if c.isdigit()).strip("0")
    return max(len(digits), 1)


def value_size(value):
    """The size DynamoDB gives a value."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return 1 + (_significant_digits(value) + 1) // 2
    if isinstance(value, str):
        return _utf8_size(value)
    if isinstance(value, (list, tuple)):
        return 3 + sum(1 + value_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(1 + _utf8_size(k) + value_size(v) for k, v in value.items())
    raise TypeError(f"no DynamoDB size for {type(value)!r}")


def item_size(item, rules):
    """The size of the stored item: the record's attributes plus _pipec_rules,
    _pipec_notified and _pipec_view."""
    attributes = sum(_utf8_size(k) + value_size(v) for k, v in item.items())
    rules_size = 3 + sum(1 + _utf8_size(r) for r in rules)
    bookkeeping = len("_pipec_rules") + rules_size + len("_pipec_notified") + 1
    return attributes + bookkeeping + len("_pipec_view") + len(VIEW)


def item_problem(item, rules, key, view=None):
    """Why DynamoDB would refuse the item (None when it fits): a table key value over its
    limit, the viewer index's sort key (`view`: field and attribute type) of the wrong type
    or over its limit, then the whole item over 400 KB."""
    partition, sort = key
    limits = [(partition, "partition", PARTITION_KEY_BYTES)]
    if sort is not None:
        limits.append((sort, "sort", SORT_KEY_BYTES))
    for name, role, limit in limits:
        size = value_size(item[name]) if name in item else 0
        if size > limit:
            return f"{name}: {role} key is {size} bytes, over DynamoDB's {limit}-byte limit"
    if view is not None and view[0] in item:
        name, attribute = view
        value = item[name]
        # Only a computed number outside DynamoDB's range is stored as text (see storable).
        if attribute == "N" and isinstance(value, str):
            return (
                f"{name}: {compact(value)} is outside DynamoDB's number range, "
                f"and the viewer's index sorts {name} as a number"
            )
        size = value_size(value)
        if size > SORT_KEY_BYTES:
            return (
                f"{name}: the viewer index's sort key is {size} bytes, "
                f"over DynamoDB's {SORT_KEY_BYTES}-byte limit"
            )
    size = item_size(item, rules)
    if size > ITEM_BYTES:
        return f"item is {size} bytes, over DynamoDB's 400 KB item limit ({ITEM_BYTES} bytes)"
    return None


def compact(value):
    """Compact JSON, as serde_json writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def subject(pipeline, severity, rule):
    return f"[{severity}] {pipeline}: {rule}"[:SUBJECT_CHARS]


def _head(pipeline, rule, severity, condition):
    return {
        "pipeline": pipeline,
        "rule": rule,
        "severity": severity,
        "condition": condition,
    }


def record_message(pipeline, rule, severity, condition, record, keys):
    """A flagged record's alert; over the SNS limit, `record` keeps only the table key."""
    text = compact(dict(_head(pipeline, rule, severity, condition), record=record))
    if _utf8_size(text) <= MESSAGE_BYTES:
        return text
    kept = {k: record[k] for k in keys if k is not None and k in record}
    return compact(
        dict(_head(pipeline, rule, severity, condition), record=kept, truncated=True)
    )


def window_message(pipeline, rule, severity, condition, window, group, aggregates):
    """A window decision's alert; over the SNS limit, each string group value is cut to
    GROUP_VALUE_CHARS characters (or, if that is not enough, the group left empty)."""

    def build(group, truncated):
        message = _head(pipeline, rule, severity, condition)
        message.update(
            window={"start": window[0], "end": window[1]},
            group=group,
            aggregates=aggregates,
        )
        if truncated:
            message["truncated"] = True
        return compact(message)

    text = build(group, False)
    if _utf8_size(text) <= MESSAGE_BYTES:
        return text
    cut = {
        k: v[:GROUP_VALUE_CHARS] if isinstance(v, str) else v for k, v in group.items()
    }
    text = build(cut, True)
    return text if _utf8_size(text) <= MESSAGE_BYTES else build({}, True)


def dead_letter_body(seq, reason, data):
    """The dead letter: {"seq", "reason", "bytes", "record"}, the record cut as the local
    dead-letter file cuts it (and further only if SQS's message limit demands it)."""
    shown = DEAD_LETTER_SHOWN
    while True:
        body = json.dumps(
            {
                "seq": seq,
                "reason": reason,
                "bytes": len(data),
                "record": data[:shown].decode("utf-8", "replace"),
            },
            separators=(",", ":"),
        )
        if len(body) <= QUEUE_MESSAGE_BYTES:
            return body
        shown //= 2
