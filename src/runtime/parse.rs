//! A record's bytes to a JSON object, as every path parses it: [`parse`] (the reference, with
//! the dead-letter reason of a record that is not a JSON object) and [`parse_into`], its fast
//! path without allocation, used by [`super::decide::Decider`].

use serde_json::{Map, Value as Json};

/// The record as a JSON object, or why it is not one (the dead-letter reason).
pub fn parse(record: &[u8]) -> Result<Map<String, Json>, String> {
    serde_json::from_slice::<Map<String, Json>>(record).map_err(|e| match serde_json::from_slice::<Json>(record) {
        Ok(_) => "not a JSON object".to_string(),
        Err(_) => format!("not JSON: {e}"),
    })
}

/// The fast path of [`parse`]: parses `record` into `map`, reusing its keys and string buffers
/// (no allocation in the steady state). On success `map` holds exactly the record's fields with
/// the values [`parse`] gives (the last of duplicate keys wins), but not necessarily in the
/// record's order. Any failure, and any nested array or object, is an `Err`: the caller then
/// takes the slow path, which decides and reports exactly as [`parse`] does.
///
/// When the record has the same keys in the same order as the map (the usual case: one
/// producer), each value is written over its slot without hashing; otherwise the map is
/// rebuilt from this record (and then matches the next record of the same shape).
pub fn parse_into(record: &[u8], map: &mut Map<String, Json>) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(record);
    let same = serde::Deserializer::deserialize_map(&mut de, SameShape(map)).and_then(|()| de.end());
    if same.is_ok() {
        return same;
    }
    map.clear();
    let mut de = serde_json::Deserializer::from_slice(record);
    serde::Deserializer::deserialize_map(&mut de, AnyShape(map))?;
    de.end()
}

/// Writes the values over the map's slots in order; an error when a key differs.
struct SameShape<'m>(&'m mut Map<String, Json>);

impl<'de> serde::de::Visitor<'de> for SameShape<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a flat JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let mut slots = self.0.iter_mut();
        while let Some(key) = access.next_key_seed(KeySeed)? {
            match (key, slots.next()) {
                (Some(key), Some((k, slot))) if k == key => access.next_value_seed(SlotSeed(slot))?,
                _ => return Err(A::Error::custom("another shape")),
            }
        }
        if slots.next().is_some() {
            return Err(A::Error::custom("another shape"));
        }
        Ok(())
    }
}

/// Fills an empty map (the last of duplicate keys wins, as in [`parse`]).
struct AnyShape<'m>(&'m mut Map<String, Json>);

impl<'de> serde::de::Visitor<'de> for AnyShape<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a flat JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        use serde::de::Error;
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let Some(key) = key else { return Err(A::Error::custom("escaped key")) };
            let slot = if let Some(slot) = self.0.get_mut(key) {
                slot
            } else {
                self.0.insert(key.to_owned(), Json::Null);
                self.0.get_mut(key).expect("inserted")
            };
            access.next_value_seed(SlotSeed(slot))?;
        }
        Ok(())
    }
}

/// A map key: `Some` when it borrows from the input (no escapes).
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Option<&'de str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Option<&'de str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A scalar value written over `slot` as `serde_json::Value`'s own visitor builds it (a string
/// reuses the slot's buffer); arrays and objects are errors (slow path).
struct SlotSeed<'s>(&'s mut Json);

impl<'de> serde::de::DeserializeSeed<'de> for SlotSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl serde::de::Visitor<'_> for SlotSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        *self.0 = Json::Bool(v);
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        *self.0 = Json::Number(v.into());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        *self.0 = Json::Number(v.into());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        *self.0 = serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if let Json::String(s) = self.0 {
            s.clear();
            s.push_str(v);
        } else {
            *self.0 = Json::String(v.to_owned());
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 = Json::Null;
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        *self.0 = Json::Null;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_parse_agrees_with_parse() {
        let records: [&[u8]; 9] = [
            br#"{"a":1,"b":"x","c":null,"d":true,"e":1.5}"#,
            br#"{"a":2,"b":"y","c":null,"d":false,"e":-2}"#,
            br#"{"b":"z","a":3}"#,
            br#"{"a":1,"a":"last","b":"\u00e9\n"}"#,
            br#"{"a":1,"b":"x","c":null,"d":true,"e":1e400}"#,
            br#"{"a":{"nested":1}}"#,
            br#"{"\u0061":1}"#,
            br#"{"a":1} x"#,
            br"[1]",
        ];
        let mut scratch = Map::new();
        for record in records {
            let fast = parse_into(record, &mut scratch).map(|()| scratch.clone());
            match (parse(record), fast) {
                (Ok(slow), Ok(fast)) => {
                    assert_eq!(slow.len(), fast.len());
                    for (k, v) in &slow {
                        assert_eq!(fast.get(k), Some(v), "{}", String::from_utf8_lossy(record));
                    }
                }
                (Err(_), Ok(_)) => panic!("fast path accepted {}", String::from_utf8_lossy(record)),
                (_, Err(_)) => {}
            }
        }
    }
}
