//! Record schemas: the typed fields of `stream.record` that expressions are checked against and
//! records are validated against.

use std::fmt;

/// The type of a record field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    Int,
    Float,
    Bool,
    /// An RFC 3339 / ISO-8601 string; compares lexicographically.
    Timestamp,
}

impl ValueType {
    /// Int and float mix freely in arithmetic and comparisons.
    #[must_use]
    pub fn is_numeric(self) -> bool {
        matches!(self, ValueType::Int | ValueType::Float)
    }

    /// String and timestamp values are both JSON strings and compare with each other.
    #[must_use]
    pub fn is_textual(self) -> bool {
        matches!(self, ValueType::String | ValueType::Timestamp)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::Timestamp => "timestamp",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSchema {
    pub name: String,
    pub ty: ValueType,
    /// A required field must be present and not null.
    pub required: bool,
    /// For strings: the maximum length in Unicode characters.
    pub max_length: Option<u32>,
}

impl FieldSchema {
    #[must_use]
    pub fn new(name: impl Into<String>, ty: ValueType) -> Self {
        Self { name: name.into(), ty, required: false, max_length: None }
    }

    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    #[must_use]
    pub fn max_length(mut self, max: u32) -> Self {
        self.max_length = Some(max);
        self
    }
}

/// The fields of a record, in declaration order, and the time zone of zoneless timestamps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSchema {
    pub fields: Vec<FieldSchema>,
    /// `stream.timezone` as seconds east of UTC: how a timestamp without a zone is read.
    pub timezone: i32,
}

impl RecordSchema {
    #[must_use]
    pub fn new(fields: Vec<FieldSchema>) -> Self {
        Self { fields, timezone: 0 }
    }

    /// The schema with zoneless timestamps read at `offset` seconds east of UTC.
    #[must_use]
    pub fn with_timezone(mut self, offset: i32) -> Self {
        self.timezone = offset;
        self
    }

    /// The field called `name` (case-sensitive).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_lowercase_and_get_finds_fields() {
        assert_eq!(ValueType::Timestamp.to_string(), "timestamp");
        let schema = RecordSchema::new(vec![FieldSchema::new("a", ValueType::Int).required()]);
        assert!(schema.get("a").is_some_and(|f| f.required));
        assert!(schema.get("A").is_none());
    }
}
