//! The one table of diagnostic codes. A code is stable once released: tools match on
//! `pipec::<name>`. Each entry carries the long text printed by `pipec explain CODE`.

use serde::{Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident => $name:literal, $explain:literal;)*) => {
        /// Every diagnostic pipec can report.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The bare name, e.g. `unknown_field`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The long help text shown by `pipec explain`.
            #[must_use]
            pub fn explain(self) -> &'static str {
                match self {
                    $(Code::$variant => $explain,)*
                }
            }
        }
    };
}

impl Code {
    /// The full code as printed, e.g. `pipec::unknown_field`.
    #[must_use]
    pub fn as_str(self) -> String {
        format!("pipec::{}", self.name())
    }

    /// Looks a code up by `pipec::name` or bare `name`.
    #[must_use]
    pub fn find(text: &str) -> Option<Code> {
        let name = text.strip_prefix("pipec::").unwrap_or(text);
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

codes! {
    // --- reading the file -------------------------------------------------------------------
    Io => "io", "The spec file could not be read (missing, a directory, or no permission).\nCheck the path you passed; `-` reads the spec from standard input.";
    FileTooLarge => "file_too_large", "pipec refuses spec files over 4 MiB. A pipeline spec is hand-written configuration and\nis normally a few kilobytes; a file this large is almost always the wrong file (a data file\nor a generated dump). Split generated rules into a smaller spec or raise the question with us.";
    InvalidUtf8 => "invalid_utf8", "A spec must be UTF-8 text. The file contains a byte sequence that is not valid UTF-8\n(binary data, or text saved in another encoding such as Latin-1). Re-save it as UTF-8.";
    EmptyFile => "empty_file", "The spec is empty (or holds only comments). A spec needs at least `version`, `name`\nand `stream`; start from `examples/transactions.yaml`.";
    YamlSyntax => "yaml_syntax", "The file is not valid YAML at the marked position. Common causes: a tab used for\nindentation, an unclosed quote or bracket, or a `key: value` line indented differently from\nits siblings.";
    MultipleDocuments => "multiple_documents", "A spec file holds exactly one YAML document. Remove the extra `---` separator, or\nsplit the pipelines into one file each.";
    DuplicateKey => "duplicate_key", "A mapping names the same key twice. YAML parsers disagree on which value wins, so\npipec refuses to guess: keep one of them.";
    AliasLimit => "alias_limit", "YAML aliases (`*name`) expand to a copy of their anchor. pipec caps the total size of\nthe expanded document at 100,000 nodes so that a small file cannot expand into gigabytes\n(the \"billion laughs\" attack). Write the values out, or use fewer nested aliases.";
    NestingTooDeep => "nesting_too_deep", "The document nests deeper than 64 levels. No valid spec comes close; the file is\nmalformed or not a pipeline spec.";
    UnsupportedYaml => "unsupported_yaml", "The spec uses a YAML feature pipec does not accept: tags (`!name`), complex\n(non-scalar) mapping keys, or merge keys. Write plain mappings, lists and scalars.";
    // --- shape of the spec ------------------------------------------------------------------
    UnknownField => "unknown_field", "The key is not part of the spec language at this level. Usually a typo (the help\nsuggests the closest known key) or a key placed at the wrong level. `pipec schema` prints\nthe JSON Schema with every key; editors using yaml-language-server complete them.";
    MissingField => "missing_field", "A required key is missing. The help names it and shows an example value.";
    WrongType => "wrong_type", "The value has the wrong shape: for example a list where a mapping is expected, or a\nword where a number is expected.";
    Yaml11Bool => "yaml11_bool", "YAML 1.1 read `yes`, `no`, `on`, `off`, `y` and `n` as booleans; YAML 1.2 reads them as\nstrings. To mean the same thing to every tool, pipec accepts only `true` and `false`.";
    InvalidValue => "invalid_value", "The value is not one of the accepted choices for this key (the message lists them).";
    InvalidDuration => "invalid_duration", "Durations are a number and a unit: `500ms`, `60s`, `15m`, `24h`, `7d`. A bare number is\nrefused because it is ambiguous.";
    InvalidSize => "invalid_size", "Sizes are a number and a unit: `512KiB`, `64MiB`, `1GiB` (binary) or `64MB` (decimal,\n10^6). A bare number is refused because it is ambiguous.";
    InvalidRate => "invalid_rate", "Rates are a number of records per time unit: `2000/s`, `90000/min`, `5M/h`, `1.5k/s`\n(units: /s, /min, /h, /d; `k` = thousand, `M` = million; no exponents). A bare number is\nrefused because it is ambiguous.";
    OutOfRange => "out_of_range", "The value is outside the range the platform accepts. The message gives the range and\nwhere it comes from (a Kinesis, Firehose, Lambda or DynamoDB limit).";
    UnsupportedVersion => "unsupported_version", "`version` selects the spec language. This pipec understands `version: 1`.";
    MissingVariable => "missing_variable", "The spec refers to an environment variable that is not set. Set it, or give a default\nwith `${NAME:-default}`. Write `$${` for a literal `${`.";
    InvalidInterpolation => "invalid_interpolation", "`${...}` must hold a variable name (letters, digits, `_`, not starting with a digit),\noptionally followed by `:-default`, and must be closed with `}`. Write `$${` for a literal `${`.";
    UnknownEnvironment => "unknown_environment", "`--env NAME` selects an entry of the spec's `environments:` mapping, whose values are\nmerged over the base spec. The named environment is not defined there.";
    // --- meaning of the spec ----------------------------------------------------------------
    InvalidName => "invalid_name", "A name becomes part of AWS resource names, which allow only some characters and\nlengths. Pipeline names: 1–40 of `a-z A-Z 0-9 - _`, starting with a letter (they prefix function\nnames, which Lambda limits to 64); rule and topic names: 1–64 of the same.\nThe S3 prefix: no leading `/`, must end with `/`.";
    DuplicateName => "duplicate_name", "Two items share a name that must be unique (rule names, record fields after\nenrichment). Rename one; the secondary label points at the first definition.";
    UnknownTopic => "unknown_topic", "A rule's `notify` names a topic that `notifications:` does not define.";
    UnknownRecordField => "unknown_record_field", "The name does not refer to a field of `stream.record` (or, for the viewer, an\nenrichment). Field names are case-sensitive.";
    CapacityConflict => "capacity_conflict", "`stream.shards` and `stream.on_demand: true` exclude each other: Kinesis rejects a\nShardCount on an ON_DEMAND stream. Choose one.";
    InvalidKey => "invalid_key", "The table key must name required record fields of type string, int, float or\ntimestamp (DynamoDB keys are strings or numbers and must always be present), and the\npartition and sort key must differ.";
    InvalidEmail => "invalid_email", "The address is not a valid e-mail address (`local@domain.tld`).";
    InvalidWebhook => "invalid_webhook", "Webhooks must be absolute `https://` URLs (SNS delivers only to HTTP(S) endpoints,\nand pipec refuses plain HTTP outside the local runtime). `http://127.0.0.1` and\n`http://localhost` are accepted for local runs and skipped on AWS targets.";
    KinesisAnalyticsRetired => "kinesis_analytics_retired", "Amazon Kinesis Data Analytics for SQL applications accept no new applications since\n2025-10-15, and AWS deletes existing ones from 2026-01-27. pipec never emits it.\nUse `engine: lambda` (the default): stateless rules run in a Lambda handler behind an\nevent-source-mapping filter, and windowed rules in a Lambda tumbling window. For SQL that\noutgrows Lambda, Amazon Managed Service for Apache Flink is the successor.";
    UnsupportedEngine => "unsupported_engine", "The spec asks an engine for something it cannot run; the diagnostic points at the key.\n`engine: lambda` (the default) decides per-record rules in a Lambda handler and windowed\nrules in Lambda tumbling windows (1s to 15m): per shard and in arrival (processing) time, so\nit takes no `event_time`, `allowed_lateness`, `sliding` or `session`.\n`engine: flink` (Amazon Managed Service for Apache Flink) decides per-record and windowed\nrules in one Flink SQL job over the whole stream in event time: `tumbling`, `sliding`\n(with `slide`) and `session` windows of 1s to 7d, ordered by `hot.event_time`, with\n`allowed_lateness`. See specs/flink.md for what each engine means.";
    WindowShape => "window_shape", "A rule's `window` is exactly one of `tumbling: LENGTH`, `sliding: LENGTH` with\n`slide: EVERY` (a window of LENGTH starts every EVERY), or `session: GAP` (a group's window\ncloses after GAP without records). Sliding and session windows need `engine: flink`.";
    InvalidEventTime => "invalid_event_time", "`engine: flink` decides windows in event time: `hot.event_time` names the record field\nthat says when each event happened. It must be a required `timestamp` field (a record\nwithout it could not be placed in any window). Flink keeps its value to the millisecond.";
    NotInFlinkSql => "not_in_flink_sql", "With `engine: flink` every rule is lowered to Flink SQL that must mean exactly what the\nlocal evaluator means (specs/flink.md lists each spelling). A part of a condition that has\nno exact Flink SQL spelling yet is refused rather than lowered to something that differs on\nsome inputs. Rewrite the condition without it, or run the rule on `engine: lambda`.";
    FilterLimit => "filter_limit", "Lambda event-source-mapping filters are an optimisation: they drop records before\nthe function runs. A mapping holds at most 5 filters (ORed) and each pattern at most 4,096\ncharacters. When the rules need more, pipec emits no filter for that mapping and the handler\nevaluates every record itself: correct, but each record costs an invocation.";
    UnusedTopic => "unused_topic", "A topic under `notifications:` is not named by any rule's `notify`, so nothing will\never be published to it.";
    EncryptionDisabled => "encryption_disabled", "`encryption: none` stores records unencrypted at rest. It is allowed, but security\nscanners (checkov CKV_AWS_43) flag it; prefer the default `kms`.";
    PublicViewer => "public_viewer", "`viewer.public: true` serves the flagged records to anyone who has the URL (function\nURL with AuthType NONE). Flagged records often hold personal data; keep the default\n(IAM auth) unless the data is synthetic.";
    StoreLimit => "store_limit", "DynamoDB stores an item of at most 400 KB (attribute names and values), a partition key\nof at most 2,048 bytes and a sort key of at most 1,024 bytes; SNS sends a message of at most\n256 KB. A `string(N)` holds up to 4N bytes of UTF-8, so the declared bounds can let a flagged\nrecord exceed them. Every target then does the same: the record is dead-lettered with the\nreason (`dead-letter/events.ndjson` locally, the dead-letter SQS queue on AWS), and an alert\nover the message limit carries only the table key with `\"truncated\": true`. Lower the bound\nto keep every record.";
    UnderProvisioned => "under_provisioned", "`pipec plan` found that the stream cannot carry the expected traffic. A Kinesis shard\ntakes 1 MB/s or 1,000 records/s of writes and serves 2 MB/s of reads shared by every consumer\n(the hot function, each windowed function and the archive each read every record); an\non-demand stream starts at 4 MB/s of writes and scales to 200 MB/s (10 GB/s in us-east-1,\nus-west-2 and eu-west-1). The plan sizes shards to stay at or under 80% of each limit, so a\nburst does not throttle. Raise `stream.shards` to the number the help gives, or use\n`on_demand: true`; or lower the expected rate if it was too high.";
    // --- rule expressions -------------------------------------------------------------------
    ExprSyntax => "expr_syntax", "The expression could not be parsed. Expressions combine field names, literals\n(`9000`, `1.5`, `'text'`, `true`, `null`), arithmetic (`+ - * / %`), comparisons\n(`= != < <= > >=`), `AND`, `OR`, `NOT`, `IN (...)`, `BETWEEN a AND b`, `LIKE 'pat%'`,\n`IS [NOT] NULL` and parentheses.";
    ExprType => "expr_type", "The operands' types do not fit the operator: for example a number compared with a\nstring, or arithmetic on a string. Types come from `stream.record`.";
    UnknownFunction => "unknown_function", "Known functions: `now()` (enrichments), and in windowed rules the aggregates\n`count(*)`, `count(field)`, `sum`, `avg`, `min`, `max`.";
    AggregateOutsideWindow => "aggregate_outside_window", "Aggregates (`count`, `sum`, `avg`, `min`, `max`) need a window to aggregate over.\nAdd `window: { tumbling: 1m }` to the rule, or compare the field itself.";
    MissingAggregate => "missing_aggregate", "A windowed rule decides per window and group, so its `when` must compare an aggregate\n(e.g. `count(*) > 100`). Fields outside aggregates must be listed in `group_by`.";
    UngroupedField => "ungrouped_field", "In a windowed rule a field used outside an aggregate must be one of `group_by`;\notherwise it has no single value per window.";
    NotBoolean => "not_boolean", "A rule's `when` must be a condition (true or false), such as `transaction > 9000`.";
    // --- test files (`pipec test`) ---------------------------------------------------------
    TestFailed => "test_failed", "A test case's expectation did not hold: the label points at the expectation, the help\nshows what was expected (-) and what the spec decided (+). Either the rules changed (fix the\nrule, or update the expectation after checking the new behaviour) or the expectation is wrong.\nSections (`flagged`, `stored`, `alerts`, `dead_letters`, `windows`) are complete: what they do\nnot list must not happen. Inside a row, message or window only the fields written are checked.";
    InvalidTest => "invalid_test", "The test file is not a valid test: for example a test with both `events` and\n`events_file`, an event with both `record` and `raw`, arrival times that go backwards, or\n`stored:` for a spec without a store. The README's \"Testing rules\" section shows the format.";
    UnknownEvent => "unknown_event", "An expectation names an event the test does not have. An event is named by its\n`name:`, else by its position in `events` (1 for the first) or its line number in\n`events_file`.";
    UnknownRule => "unknown_rule", "A test names a rule the spec does not define (or a per-record rule where a windowed\none is needed, or the reverse). Rule names are case-sensitive.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_findable() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        for code in Code::ALL {
            assert_eq!(Code::find(&code.as_str()), Some(*code));
            assert!(!code.explain().is_empty());
        }
        assert_eq!(Code::find("pipec::nope"), None);
    }
}
