//! Every key of the spec language, with its default and its allowed range, defined once.
//!
//! Decoding reads a key only through its [`Key`] here (`MapReader::take`), `check` tests ranges
//! with [`Range`], `lower` fills defaults from [`Key::default`], the JSON Schema (`pipec schema`)
//! states both, and `tests/reference.rs` fails when `specs/reference.md` disagrees with [`ALL`].
//! Defaults that `lower` derives from other parts of the spec are [`Default::Derived`]: their
//! text documents them, their computation stays in `lower`.

use std::fmt;

use super::units::{ByteSize, Duration};

/// A unit a default or bound is written in (and, for a [`Range`], the step values must be whole
/// multiples of).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain whole number.
    Count,
    Second,
    Minute,
    Hour,
    Day,
    Byte,
    KiB,
    MiB,
    /// A share of records, in whole percent.
    Percent,
}

impl Unit {
    /// Milliseconds for durations, bytes for sizes, 1 for counts.
    const fn scale(self) -> u64 {
        match self {
            Unit::Count | Unit::Byte | Unit::Percent => 1,
            Unit::Second => 1_000,
            Unit::Minute => 60_000,
            Unit::Hour => 3_600_000,
            Unit::Day => 86_400_000,
            Unit::KiB => 1 << 10,
            Unit::MiB => 1 << 20,
        }
    }

    const fn suffix(self) -> &'static str {
        match self {
            Unit::Count => "",
            Unit::Second => "s",
            Unit::Minute => "m",
            Unit::Hour => "h",
            Unit::Day => "d",
            Unit::Byte => "B",
            Unit::KiB => "KiB",
            Unit::MiB => "MiB",
            Unit::Percent => "%",
        }
    }

    const fn plural(self) -> &'static str {
        match self {
            Unit::Count => "numbers",
            Unit::Second => "seconds",
            Unit::Minute => "minutes",
            Unit::Hour => "hours",
            Unit::Day => "days",
            Unit::Byte => "bytes",
            Unit::KiB => "KiB",
            Unit::MiB => "MiB",
            Unit::Percent => "percent",
        }
    }
}

/// A number in a unit, written as the spec writes it (`24h`, `64MiB`, `500`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub number: u64,
    pub unit: Unit,
}

impl Amount {
    #[must_use]
    pub const fn new(number: u64, unit: Unit) -> Self {
        Self { number, unit }
    }

    /// The amount in base units: milliseconds, bytes, or the count itself.
    #[must_use]
    pub const fn base(self) -> u64 {
        self.number * self.unit.scale()
    }

    /// A count as the `u32` the IR holds (a compile error in a `const` block when it does not
    /// fit).
    #[must_use]
    pub const fn count(self) -> u32 {
        assert!(self.base() <= u32::MAX as u64, "beyond u32");
        #[allow(clippy::cast_possible_truncation)]
        let count = self.base() as u32;
        count
    }

    #[must_use]
    pub const fn duration(self) -> Duration {
        Duration(self.base())
    }

    #[must_use]
    pub const fn size(self) -> ByteSize {
        ByteSize(self.base())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.number, self.unit.suffix())
    }
}

/// The values a key allows: `min..=max`, in whole `step`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub min: Amount,
    pub max: Amount,
    pub step: Unit,
}

impl Range {
    /// Whether a value in base units (milliseconds, bytes, a count) is allowed.
    #[must_use]
    pub const fn allows(&self, base: u64) -> bool {
        base.is_multiple_of(self.step.scale()) && self.min.base() <= base && base <= self.max.base()
    }
}

impl fmt::Display for Range {
    /// `1–500`, `24h–8760h in whole hours`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.min, self.max)?;
        match self.step {
            Unit::Count | Unit::Byte | Unit::Percent => Ok(()),
            step => write!(f, " in whole {}", step.plural()),
        }
    }
}

/// A value a spec could write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Amount(Amount),
    /// A word or text: a choice (`kms`), a prefix (`raw/`).
    Text(&'static str),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Amount(a) => write!(f, "{a}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// What holds when a key is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    /// The key must be written.
    Required,
    /// Nothing: the part is absent.
    Absent,
    Value(Value),
    /// Computed by `lower` from the rest of the spec, as this text says.
    Derived(&'static str),
}

impl fmt::Display for Default {
    /// As `specs/reference.md` writes it in a table's default column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Default::Required => f.write_str("required"),
            Default::Absent => f.write_str("—"),
            Default::Value(v) => write!(f, "`{v}`"),
            Default::Derived(text) => f.write_str(text),
        }
    }
}

/// One key of the spec language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// Where the key's mapping is: `""` (top level), `stream`, `hot.rules[]`,
    /// `notifications.<topic>`.
    pub parent: &'static str,
    pub name: &'static str,
    pub default: Default,
    pub range: Option<Range>,
}

impl Key {
    const fn new(parent: &'static str, name: &'static str) -> Self {
        Self { parent, name, default: Default::Absent, range: None }
    }
    const fn required(mut self) -> Self {
        self.default = Default::Required;
        self
    }
    const fn value(mut self, value: Value) -> Self {
        self.default = Default::Value(value);
        self
    }
    const fn derived(mut self, text: &'static str) -> Self {
        self.default = Default::Derived(text);
        self
    }
    const fn range(mut self, min: Amount, max: Amount, step: Unit) -> Self {
        self.range = Some(Range { min, max, step });
        self
    }

    /// The dotted path, e.g. `cold.buffer.size`.
    #[must_use]
    pub fn path(&self) -> String {
        if self.parent.is_empty() { self.name.to_string() } else { format!("{}.{}", self.parent, self.name) }
    }

    /// The default of a boolean key (a compile error in a `const` block when it has none).
    #[must_use]
    pub const fn default_bool(&self) -> bool {
        match self.default {
            Default::Value(Value::Bool(b)) => b,
            _ => panic!("not a boolean default"),
        }
    }

    /// The default of a duration, size or count key.
    #[must_use]
    pub const fn default_amount(&self) -> Amount {
        match self.default {
            Default::Value(Value::Amount(a)) => a,
            _ => panic!("not an amount default"),
        }
    }

    /// The default of a text key.
    #[must_use]
    pub const fn default_text(&self) -> &'static str {
        match self.default {
            Default::Value(Value::Text(t)) => t,
            _ => panic!("not a text default"),
        }
    }

    /// The key's range (a compile error in a `const` block when it has none).
    #[must_use]
    pub const fn allowed(&self) -> Range {
        match self.range {
            Some(r) => r,
            None => panic!("the key has no range"),
        }
    }
}

/// The value of `word` among a key's `choices` (as decoding reads it); a compile error in a
/// `const` block when the word is not a choice.
#[must_use]
pub const fn choose<T: Copy>(choices: &[(&'static str, T)], word: &str) -> T {
    let mut i = 0;
    while i < choices.len() {
        let (name, value) = choices[i];
        if name.len() == word.len() {
            let (a, b) = (name.as_bytes(), word.as_bytes());
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return value;
            }
        }
        i += 1;
    }
    panic!("the default is not one of the key's choices")
}

const fn n(number: u64) -> Amount {
    Amount::new(number, Unit::Count)
}
const fn secs(number: u64) -> Amount {
    Amount::new(number, Unit::Second)
}
const fn mins(number: u64) -> Amount {
    Amount::new(number, Unit::Minute)
}
const fn hours(number: u64) -> Amount {
    Amount::new(number, Unit::Hour)
}
const fn days(number: u64) -> Amount {
    Amount::new(number, Unit::Day)
}
const fn mib(number: u64) -> Amount {
    Amount::new(number, Unit::MiB)
}
const fn on(b: bool) -> Value {
    Value::Bool(b)
}
const fn word(t: &'static str) -> Value {
    Value::Text(t)
}

// The top level.
pub const VERSION: Key = Key::new("", "version").required();
pub const NAME: Key = Key::new("", "name").required();
pub const DESCRIPTION: Key = Key::new("", "description");
pub const RETAIN_DATA: Key = Key::new("", "retain_data").value(on(true));
pub const STREAM: Key = Key::new("", "stream").required();
pub const HOT: Key = Key::new("", "hot");
pub const COLD: Key = Key::new("", "cold");
pub const NOTIFICATIONS: Key = Key::new("", "notifications");
pub const ALARMS: Key = Key::new("", "alarms");
pub const EXPECTED: Key = Key::new("", "expected");
pub const ENVIRONMENTS: Key = Key::new("", "environments");

// `stream`: Kinesis limits (shards: the default account quota in most regions).
pub const STREAM_NAME: Key = Key::new("stream", "name").derived("the pipeline's name");
pub const STREAM_SHARDS: Key = Key::new("stream", "shards").value(Value::Amount(n(1))).range(n(1), n(500), Unit::Count);
pub const STREAM_ON_DEMAND: Key = Key::new("stream", "on_demand").value(on(false));
pub const STREAM_RETENTION: Key =
    Key::new("stream", "retention").value(Value::Amount(hours(24))).range(hours(24), hours(8_760), Unit::Hour);
pub const STREAM_ENCRYPTION: Key = Key::new("stream", "encryption").value(word("kms"));
pub const STREAM_TIMEZONE: Key = Key::new("stream", "timezone").value(word("UTC"));
pub const STREAM_RECORD: Key = Key::new("stream", "record").required();

// A record field's long form.
pub const FIELD_TYPE: Key = Key::new("stream.record.<field>", "type").required();
pub const FIELD_MAX_LENGTH: Key = Key::new("stream.record.<field>", "max_length").range(n(1), n(400_000), Unit::Count);
pub const FIELD_REQUIRED: Key = Key::new("stream.record.<field>", "required").value(on(true));
pub const FIELD_DESCRIPTION: Key = Key::new("stream.record.<field>", "description");

// `hot`.
pub const HOT_ENGINE: Key = Key::new("hot", "engine").value(word("lambda"));
/// Required by `engine: flink`, refused by `engine: lambda` (`check` says so).
pub const HOT_EVENT_TIME: Key = Key::new("hot", "event_time");
/// Up to 7 days: Flink keeps a window's state this long after it ends.
pub const HOT_ALLOWED_LATENESS: Key =
    Key::new("hot", "allowed_lateness").value(Value::Amount(secs(0))).range(secs(0), days(7), Unit::Second);
pub const HOT_RULES: Key = Key::new("hot", "rules");
pub const HOT_STORE: Key = Key::new("hot", "store");

pub const RULE_NAME: Key = Key::new("hot.rules[]", "name").required();
pub const RULE_DESCRIPTION: Key = Key::new("hot.rules[]", "description");
pub const RULE_WHEN: Key = Key::new("hot.rules[]", "when").required();
pub const RULE_WINDOW: Key = Key::new("hot.rules[]", "window");
pub const RULE_GROUP_BY: Key = Key::new("hot.rules[]", "group_by");
pub const RULE_SEVERITY: Key = Key::new("hot.rules[]", "severity").value(word("medium"));
pub const RULE_NOTIFY: Key = Key::new("hot.rules[]", "notify");
/// Lambda's `TumblingWindowInSeconds` range; `engine: flink` allows [`FLINK_WINDOW`] instead.
/// A window is exactly one of `tumbling`, `sliding` (with `slide`) or `session`.
pub const WINDOW_TUMBLING: Key = Key::new("hot.rules[].window", "tumbling").range(secs(1), mins(15), Unit::Second);
/// `engine: flink` only (as are `slide` and `session`).
pub const WINDOW_SLIDING: Key = Key::new("hot.rules[].window", "sliding").range(secs(1), days(7), Unit::Second);
pub const WINDOW_SLIDE: Key = Key::new("hot.rules[].window", "slide").range(secs(1), days(7), Unit::Second);
pub const WINDOW_SESSION: Key = Key::new("hot.rules[].window", "session").range(secs(1), days(7), Unit::Second);
/// A window length, slide or session gap on `engine: flink`: Flink keeps a window's records
/// until it closes, so pipec bounds them at 7 days.
pub const FLINK_WINDOW: Range = WINDOW_SLIDING.allowed();

pub const STORE_TABLE: Key = Key::new("hot.store", "table").derived("`<name>-flagged`");
pub const STORE_KEY: Key = Key::new("hot.store", "key").required();
pub const STORE_ENRICH: Key = Key::new("hot.store", "enrich");
pub const STORE_VIEWER: Key = Key::new("hot.store", "viewer");
pub const KEY_PARTITION: Key = Key::new("hot.store.key", "partition").required();
pub const KEY_SORT: Key = Key::new("hot.store.key", "sort");
pub const VIEWER_TITLE: Key = Key::new("hot.store.viewer", "title").derived("`<name> — flagged records`");
pub const VIEWER_SORT: Key = Key::new("hot.store.viewer", "sort");
pub const VIEWER_PUBLIC: Key = Key::new("hot.store.viewer", "public").value(on(false));

// `cold`: Firehose `BufferingHints` ranges.
pub const COLD_PREFIX: Key = Key::new("cold", "prefix").value(word("raw/"));
pub const COLD_ERROR_PREFIX: Key = Key::new("cold", "error_prefix").value(word("errors/"));
pub const COLD_COMPRESSION: Key = Key::new("cold", "compression").value(word("gzip"));
pub const COLD_BUFFER: Key = Key::new("cold", "buffer");
pub const COLD_LAYOUT: Key = Key::new("cold", "layout").value(word("hourly"));
pub const BUFFER_SIZE: Key =
    Key::new("cold.buffer", "size").value(Value::Amount(mib(64))).range(mib(1), mib(128), Unit::MiB);
pub const BUFFER_INTERVAL: Key =
    Key::new("cold.buffer", "interval").value(Value::Amount(secs(60))).range(secs(0), secs(900), Unit::Second);

pub const TOPIC_EMAIL: Key = Key::new("notifications.<topic>", "email");
pub const TOPIC_WEBHOOK: Key = Key::new("notifications.<topic>", "webhook");

// `alarms`: CloudWatch thresholds.
pub const ALARMS_ENABLED: Key = Key::new("alarms", "enabled").value(on(true));
pub const ALARMS_TOPIC: Key = Key::new("alarms", "topic");
/// Up to 7 days: the longest stream retention worth alarming on.
pub const ALARMS_ITERATOR_AGE: Key = Key::new("alarms", "iterator_age")
    .derived("`5m`, or twice the longest tumbling window when that is longer")
    .range(mins(1), days(7), Unit::Second);
/// Up to 1 day: Firehose gives up retrying after 24 hours.
pub const ALARMS_ARCHIVE_FRESHNESS: Key = Key::new("alarms", "archive_freshness")
    .derived("twice the buffer interval plus 5 minutes")
    .range(mins(1), days(1), Unit::Second);
pub const ALARMS_FUNCTION_ERRORS: Key =
    Key::new("alarms", "function_errors").value(Value::Amount(n(1))).range(n(1), n(1_000_000), Unit::Count);

/// The floor of the derived `alarms.iterator_age` default (its text above says `5m`).
// `expected`: the traffic `pipec plan` sizes capacity and cost for.
pub const EXPECTED_RATE: Key = Key::new("expected", "rate");
/// 1B to 1MiB: the sizes of a record Kinesis accepts (its data blob, before base64).
pub const EXPECTED_RECORD_SIZE: Key = Key::new("expected", "record_size")
    .value(Value::Amount(Amount::new(1, Unit::KiB)))
    .range(Amount::new(1, Unit::Byte), mib(1), Unit::Byte);
pub const EXPECTED_FLAGGED: Key = Key::new("expected", "flagged")
    .value(Value::Amount(Amount::new(1, Unit::Percent)))
    .range(Amount::new(0, Unit::Percent), Amount::new(100, Unit::Percent), Unit::Percent);

pub const ITERATOR_AGE_FLOOR: Amount = mins(5);
/// Added to twice the buffer interval for the derived `alarms.archive_freshness` default.
pub const FRESHNESS_MARGIN: Amount = mins(5);

/// Every key, in the order `specs/reference.md` documents them.
pub const ALL: &[Key] = &[
    VERSION,
    NAME,
    DESCRIPTION,
    RETAIN_DATA,
    STREAM,
    HOT,
    COLD,
    NOTIFICATIONS,
    ALARMS,
    EXPECTED,
    ENVIRONMENTS,
    STREAM_NAME,
    STREAM_SHARDS,
    STREAM_ON_DEMAND,
    STREAM_RETENTION,
    STREAM_ENCRYPTION,
    STREAM_TIMEZONE,
    STREAM_RECORD,
    FIELD_TYPE,
    FIELD_MAX_LENGTH,
    FIELD_REQUIRED,
    FIELD_DESCRIPTION,
    HOT_ENGINE,
    HOT_EVENT_TIME,
    HOT_ALLOWED_LATENESS,
    HOT_RULES,
    HOT_STORE,
    RULE_NAME,
    RULE_DESCRIPTION,
    RULE_WHEN,
    RULE_WINDOW,
    RULE_GROUP_BY,
    RULE_SEVERITY,
    RULE_NOTIFY,
    WINDOW_TUMBLING,
    WINDOW_SLIDING,
    WINDOW_SLIDE,
    WINDOW_SESSION,
    STORE_TABLE,
    STORE_KEY,
    STORE_ENRICH,
    STORE_VIEWER,
    KEY_PARTITION,
    KEY_SORT,
    VIEWER_TITLE,
    VIEWER_SORT,
    VIEWER_PUBLIC,
    COLD_PREFIX,
    COLD_ERROR_PREFIX,
    COLD_COMPRESSION,
    COLD_BUFFER,
    COLD_LAYOUT,
    BUFFER_SIZE,
    BUFFER_INTERVAL,
    TOPIC_EMAIL,
    TOPIC_WEBHOOK,
    ALARMS_ENABLED,
    ALARMS_TOPIC,
    ALARMS_ITERATOR_AGE,
    ALARMS_ARCHIVE_FRESHNESS,
    ALARMS_FUNCTION_ERRORS,
    EXPECTED_RATE,
    EXPECTED_RECORD_SIZE,
    EXPECTED_FLAGGED,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_unique_and_every_default_is_in_range() {
        let mut paths: Vec<String> = ALL.iter().map(Key::path).collect();
        paths.sort();
        let before = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), before, "a key is listed twice in keys::ALL");
        for key in ALL {
            if let (Default::Value(Value::Amount(a)), Some(range)) = (key.default, key.range) {
                assert!(range.allows(a.base()), "{}: the default {a} is outside {range}", key.path());
            }
        }
    }

    #[test]
    fn ranges_read_as_the_reference_writes_them() {
        assert_eq!(STREAM_RETENTION.allowed().to_string(), "24h–8760h in whole hours");
        assert_eq!(STREAM_SHARDS.allowed().to_string(), "1–500");
        assert!(BUFFER_SIZE.allowed().allows(64 << 20));
        assert!(!BUFFER_SIZE.allowed().allows(64_000_000));
        assert!(!STREAM_RETENTION.allowed().allows(90 * 60_000));
    }
}
