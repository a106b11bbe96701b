//! The built-in generator: realistic fake records from the record schema, deterministic for a
//! seed (record `i` depends only on the seed and `i`, so a resumed run continues the same
//! sequence). Field names pick the kind of value, like the original sample's producer: person
//! names, street addresses, US cities and states, one of 10 SWIFT-style bank ids, amounts
//! 1000–10000, UUID v4 ids, ISO-8601 UTC timestamps of now; other fields get plain values of
//! their type. Optional fields are missing one time in twenty.

use std::fmt::Write;

use crate::expr::value::format_timestamp_millis;
use crate::expr::{FieldSchema, RecordSchema, ValueType};

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Stephanie",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
];
const STREETS: &[&str] = &[
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Main",
    "Sunset",
    "River",
    "Church",
    "Highland",
    "Jackson",
    "Franklin",
    "Lincoln",
    "Madison",
    "Willow",
    "Chestnut",
];
const SUFFIXES: &[&str] = &["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way"];
const PLACES: &[(&str, &str, &str)] = &[
    ("New York", "New York", "NY"),
    ("Los Angeles", "California", "CA"),
    ("Chicago", "Illinois", "IL"),
    ("Houston", "Texas", "TX"),
    ("Phoenix", "Arizona", "AZ"),
    ("Philadelphia", "Pennsylvania", "PA"),
    ("San Antonio", "Texas", "TX"),
    ("San Diego", "California", "CA"),
    ("Dallas", "Texas", "TX"),
    ("Jacksonville", "Florida", "FL"),
    ("Columbus", "Ohio", "OH"),
    ("Charlotte", "North Carolina", "NC"),
    ("Seattle", "Washington", "WA"),
    ("Denver", "Colorado", "CO"),
    ("Boston", "Massachusetts", "MA"),
    ("Nashville", "Tennessee", "TN"),
    ("Portland", "Oregon", "OR"),
    ("Las Vegas", "Nevada", "NV"),
    ("Detroit", "Michigan", "MI"),
    ("Atlanta", "Georgia", "GA"),
];
/// SWIFT/BIC-style bank identifiers.
pub const BANKS: &[&str] = &[
    "CHASUS33XXX",
    "BOFAUS3NXXX",
    "CITIUS33XXX",
    "WFBIUS6SXXX",
    "DEUTDEFFXXX",
    "HSBCGB2LXXX",
    "BNPAFRPPXXX",
    "BARCGB22XXX",
    "UBSWCHZHXXX",
    "SCBLSGSGXXX",
];
const WORDS: &[&str] = &["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

/// SplitMix64: small, fast, and the same on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.next() % items.len() as u64).unwrap_or(0)]
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Uuid,
    Bank,
    Name,
    Address,
    City,
    State,
    Country,
    Amount,
    Age,
    Small,
    Channel,
    Timestamp,
    Plain(ValueType),
}

fn kind(field: &FieldSchema) -> Kind {
    let n = field.name.to_ascii_lowercase();
    match field.ty {
        ValueType::Timestamp => Kind::Timestamp,
        ValueType::Int | ValueType::Float if n.contains("age") && field.ty == ValueType::Int => Kind::Age,
        ValueType::Int | ValueType::Float
            if ["transaction", "amount", "price", "value", "total"].iter().any(|w| n.contains(w)) =>
        {
            Kind::Amount
        }
        ValueType::Int if ["item", "count", "quantity", "qty"].iter().any(|w| n.contains(w)) => Kind::Small,
        ValueType::String if n.contains("bank") => Kind::Bank,
        ValueType::String if n.ends_with("id") || n.contains("uuid") || n.contains("session") => Kind::Uuid,
        ValueType::String if n.contains("address") || n.contains("street") => Kind::Address,
        ValueType::String if n.contains("city") => Kind::City,
        ValueType::String if n.contains("state") || n.contains("region") => Kind::State,
        ValueType::String if n.contains("country") => Kind::Country,
        ValueType::String if n.contains("channel") => Kind::Channel,
        ValueType::String if n.contains("name") => Kind::Name,
        ty => Kind::Plain(ty),
    }
}

/// A seeded record generator for one schema.
pub struct Generator {
    seed: u64,
    fields: Vec<(FieldSchema, Kind)>,
}

impl Generator {
    #[must_use]
    pub fn new(schema: &RecordSchema, seed: u64) -> Self {
        Self { seed, fields: schema.fields.iter().map(|f| (f.clone(), kind(f))).collect() }
    }

    /// Writes record number `index` as one JSON line (no newline) into `out`.
    pub fn record(&self, index: u64, now_ms: i64, out: &mut String) {
        let mut rng = Rng(self.seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        let place = *rng.pick(PLACES);
        out.push('{');
        let mut first = true;
        for (field, kind) in &self.fields {
            if !field.required && rng.next().is_multiple_of(20) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{}\":", field.name.replace('\\', "\\\\").replace('"', "\\\""));
            let start = out.len();
            value(&mut rng, *kind, place, now_ms, out);
            if let (Some(max), ValueType::String) = (field.max_length, field.ty) {
                // Keep strings within `string(N)` (ASCII only, so bytes are characters).
                let max = max as usize;
                if out.len() - start > max + 2 {
                    out.truncate(start + 1 + max);
                    out.push('"');
                }
            }
        }
        out.push('}');
    }
}

fn value(rng: &mut Rng, kind: Kind, place: (&str, &str, &str), now_ms: i64, out: &mut String) {
    let _ = match kind {
        Kind::Uuid => {
            let (a, b) = (rng.next(), rng.next());
            write!(
                out,
                "\"{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}\"",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xfff,
                0x8000 | (b >> 48) & 0x3fff,
                b & 0xffff_ffff_ffff
            )
        }
        Kind::Bank => write!(out, "\"{}\"", rng.pick(BANKS)),
        Kind::Name => write!(out, "\"{} {}\"", rng.pick(FIRST), rng.pick(LAST)),
        Kind::Address => write!(
            out,
            "\"{} {} {}, {}, {} {:05}\"",
            rng.range(1, 9999),
            rng.pick(STREETS),
            rng.pick(SUFFIXES),
            place.0,
            place.2,
            rng.range(10_000, 99_999)
        ),
        Kind::City => write!(out, "\"{}\"", place.0),
        Kind::State => write!(out, "\"{}\"", place.1),
        Kind::Country => write!(out, "\"US\""),
        Kind::Amount => write!(out, "{}", rng.range(1000, 10_000)),
        Kind::Age => write!(out, "{}", rng.range(18, 90)),
        Kind::Small => write!(out, "{}", rng.range(1, 10)),
        Kind::Channel => write!(out, "\"{}\"", rng.pick(&["web", "app", "branch", "atm"])),
        Kind::Timestamp => write!(out, "\"{}\"", format_timestamp_millis(now_ms)),
        Kind::Plain(ValueType::Int) => write!(out, "{}", rng.range(0, 1000)),
        #[allow(clippy::cast_precision_loss)]
        Kind::Plain(ValueType::Float) => write!(out, "{:.2}", rng.range(0, 100_000) as f64 / 100.0),
        Kind::Plain(ValueType::Bool) => write!(out, "{}", rng.next().is_multiple_of(10)),
        Kind::Plain(_) => write!(out, "\"{} {}\"", rng.pick(WORDS), rng.range(1, 999)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::validate;

    #[test]
    fn records_are_valid_deterministic_and_seed_shaped() {
        let schema = RecordSchema::new(vec![
            FieldSchema::new("transactionId", ValueType::String).required().max_length(64),
            FieldSchema::new("name", ValueType::String).required(),
            FieldSchema::new("age", ValueType::Int).required(),
            FieldSchema::new("address", ValueType::String).required(),
            FieldSchema::new("city", ValueType::String).required(),
            FieldSchema::new("state", ValueType::String).required(),
            FieldSchema::new("transaction", ValueType::Int).required(),
            FieldSchema::new("bankId", ValueType::String).required(),
            FieldSchema::new("createdAt", ValueType::Timestamp).required(),
            FieldSchema::new("code", ValueType::String).max_length(2),
        ]);
        let generator = Generator::new(&schema, 42);
        let (mut first, mut again) = (String::new(), String::new());
        generator.record(7, 1_714_564_800_123, &mut first);
        generator.record(7, 1_714_564_800_123, &mut again);
        assert_eq!(first, again);
        for i in 0..1000 {
            let mut line = String::new();
            generator.record(i, 1_714_564_800_123, &mut line);
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            validate(v.as_object().unwrap(), &schema).unwrap();
            let t = v["transaction"].as_i64().unwrap();
            assert!((1000..=10_000).contains(&t));
        }
    }
}
