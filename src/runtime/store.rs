//! The flagged-record store: SQLite in WAL mode (`store.sqlite`), written only by the hot path.
//!
//! * Table `<store.table>`: one row per key — the key column(s) typed as in the schema, `_item`
//!   (the enriched record as JSON), `_rules` (JSON array of the rules that flagged it),
//!   `_severity`, `_seq` (log sequence number), `_sort` (the viewer's sort field). Rows are
//!   inserted with `INSERT ... ON CONFLICT DO NOTHING`: the first write of a key wins and a
//!   replay or a duplicate event adds nothing.
//! * `_pipec_window_alerts`: one row per (rule, window start, group), idempotent the same way.
//! * `_pipec_checkpoint`: the hot consumer's checkpoint, written in the same transaction as the
//!   rows it covers, so rows and checkpoint can never disagree (exactly once into the store).
//! * `synchronous = NORMAL` (WAL): a commit survives a crash of the process (kill -9) when it
//!   returns, and reaches the disk at the next WAL checkpoint, not on every commit. A power loss
//!   can roll back the last commits, rows and checkpoint together, and the hot path then
//!   decides those records again from the log: still exactly once per key, as the log's own
//!   fsync interval bounds what a power loss can take anyway. Rows live in a rowid table
//!   (appended in arrival order) with the key as a unique index: random keys then cost small
//!   index entries, not whole rows moving in a clustered b-tree.
//!
//! [`StoreReader`] is a separate read-only connection for viewers (WAL lets it read while the
//! hot path writes).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::Value as Json;

use super::checkpoint::Checkpoint;
use crate::expr::ValueType;
use crate::ir;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_type(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Int | ValueType::Bool => "INTEGER",
        ValueType::Float => "REAL",
        ValueType::String | ValueType::Timestamp => "TEXT",
    }
}

/// A flagged row to insert.
#[derive(Debug)]
pub struct Row<'a> {
    pub partition: &'a Json,
    pub sort: Option<&'a Json>,
    pub item: &'a str,
    pub rules: &'a str,
    pub severity: &'a str,
    pub seq: u64,
    pub sort_value: Option<&'a Json>,
}

/// A JSON value as SQLite stores it, borrowing its text (no copy per bound value).
fn sql_value(v: &Json) -> rusqlite::types::ToSqlOutput<'_> {
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};
    match v {
        Json::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        Json::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
        Json::Number(n) => {
            ToSqlOutput::Owned(n.as_i64().map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Integer))
        }
        Json::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        other => ToSqlOutput::Owned(Value::Text(other.to_string())),
    }
}

fn text(s: &str) -> rusqlite::types::ToSqlOutput<'_> {
    rusqlite::types::ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(s.as_bytes()))
}

/// The hot path's connection.
pub struct Store {
    conn: Connection,
    insert: Option<String>,
}

const SETUP: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -32768;
PRAGMA wal_autocheckpoint = 4096;
CREATE TABLE IF NOT EXISTS _pipec_checkpoint (
  consumer TEXT PRIMARY KEY, checkpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _pipec_window_alerts (
  rule TEXT NOT NULL, window_start INTEGER NOT NULL, group_key TEXT NOT NULL,
  window_end INTEGER NOT NULL, alert TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (rule, window_start, group_key)) WITHOUT ROWID;
";

impl Store {
    pub fn open(path: &Path, store: Option<&ir::Store>) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SETUP)?;
        let insert = match store {
            Some(s) => {
                let table = quote(&s.table);
                let mut keys = vec![&s.partition];
                keys.extend(&s.sort);
                let cols: Vec<String> =
                    keys.iter().map(|k| format!("{} {} NOT NULL", quote(&k.name), column_type(k.ty))).collect();
                let pk: Vec<String> = keys.iter().map(|k| quote(&k.name)).collect();
                conn.execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} ({}, _item TEXT NOT NULL, _rules TEXT NOT NULL, \
                     _severity TEXT NOT NULL, _seq INTEGER NOT NULL, _sort, PRIMARY KEY ({}));
                     CREATE INDEX IF NOT EXISTS {} ON {table} (_sort, _seq);",
                    cols.join(", "),
                    pk.join(", "),
                    quote(&format!("{}_by_sort", s.table)),
                ))?;
                let n = keys.len();
                let placeholders: Vec<String> = (1..=n + 5).map(|i| format!("?{i}")).collect();
                Some(format!(
                    "INSERT INTO {table} ({}, _item, _rules, _severity, _seq, _sort) VALUES ({}) ON CONFLICT DO NOTHING",
                    pk.join(", "),
                    placeholders.join(", ")
                ))
            }
            None => None,
        };
        Ok(Self { conn, insert })
    }

    pub fn begin(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")
    }

    /// Abandons the open transaction, if any (after a failed write; SQLite may already have
    /// rolled it back itself, so the error of a second rollback is expected and ignored).
    pub fn rollback(&self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    /// Stores the checkpoint and commits.
    pub fn commit(&self, consumer: &str, checkpoint: &Checkpoint) -> rusqlite::Result<()> {
        let json = serde_json::to_string(checkpoint).expect("serializable");
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO _pipec_checkpoint (consumer, checkpoint) VALUES (?1, ?2)")?
            .execute(params![consumer, json])?;
        self.conn.execute_batch("COMMIT")
    }

    pub fn checkpoint(&self, consumer: &str) -> rusqlite::Result<Checkpoint> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT checkpoint FROM _pipec_checkpoint WHERE consumer = ?1", [consumer], |r| r.get(0))
            .optional()?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
    }

    /// Inserts a flagged row; `true` when it is new.
    pub fn insert(&self, row: &Row) -> rusqlite::Result<bool> {
        let Some(sql) = &self.insert else { return Ok(false) };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut values = Vec::with_capacity(7);
        values.push(sql_value(row.partition));
        if let Some(sort) = row.sort {
            values.push(sql_value(sort));
        }
        values.push(text(row.item));
        values.push(text(row.rules));
        values.push(text(row.severity));
        values.push(rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Integer(
            i64::try_from(row.seq).unwrap_or(i64::MAX),
        )));
        values.push(
            row.sort_value.map_or(rusqlite::types::ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Null), sql_value),
        );
        Ok(stmt.execute(rusqlite::params_from_iter(values))? == 1)
    }

    /// Inserts a window alert; `true` when it is new.
    pub fn insert_window_alert(
        &self,
        rule: &str,
        window: (i64, i64),
        group_key: &str,
        alert: &str,
        seq: u64,
    ) -> rusqlite::Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO _pipec_window_alerts (rule, window_start, group_key, window_end, alert, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )?;
        Ok(stmt.execute(params![rule, window.0, group_key, window.1, alert, i64::try_from(seq).unwrap_or(i64::MAX)])?
            == 1)
    }
}

/// A flagged row as read back.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Flagged {
    pub seq: u64,
    /// The enriched record.
    pub item: Json,
    pub rules: Vec<String>,
    pub severity: String,
}

/// A read-only connection for viewers and APIs.
pub struct StoreReader {
    conn: Connection,
    query: Option<String>,
    count: Option<String>,
}

impl StoreReader {
    pub fn open(path: &Path, store: Option<&ir::Store>) -> rusqlite::Result<Self> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let (query, count) = store.map_or((None, None), |s| {
            let table = quote(&s.table);
            // Rows without the sort field come last either way, as the AWS viewer lists them
            // (after the index that holds only rows with the field); SQLite puts NULL first
            // in ascending order.
            let (sort, dir) = match s.viewer.as_ref().and_then(|v| v.sort.as_ref()) {
                Some((_, false)) => ("ASC NULLS LAST", "ASC"),
                _ => ("DESC", "DESC"),
            };
            (
                Some(format!(
                    "SELECT _seq, _item, _rules, _severity FROM {table} ORDER BY _sort {sort}, _seq {dir} LIMIT ?1 OFFSET ?2"
                )),
                Some(format!("SELECT count(*) FROM {table}")),
            )
        });
        Ok(Self { conn, query, count })
    }

    /// Flagged rows sorted as the viewer wants (the spec's sort, newest `_seq` first by default).
    pub fn flagged(&self, limit: usize, offset: usize) -> rusqlite::Result<Vec<Flagged>> {
        let Some(sql) = &self.query else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(
            params![i64::try_from(limit).unwrap_or(i64::MAX), i64::try_from(offset).unwrap_or(0)],
            |r| {
                let item: String = r.get(1)?;
                let rules: String = r.get(2)?;
                Ok(Flagged {
                    seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    item: serde_json::from_str(&item).unwrap_or(Json::Null),
                    rules: serde_json::from_str(&rules).unwrap_or_default(),
                    severity: r.get(3)?,
                })
            },
        )?;
        rows.collect()
    }

    /// Number of flagged rows.
    pub fn count(&self) -> rusqlite::Result<u64> {
        let Some(sql) = &self.count else { return Ok(0) };
        self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| u64::try_from(n).unwrap_or(0))
    }

    /// Window alerts, newest first.
    pub fn window_alerts(&self, limit: usize) -> rusqlite::Result<Vec<Json>> {
        let mut stmt = self.conn.prepare_cached("SELECT alert FROM _pipec_window_alerts ORDER BY seq DESC LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get::<_, String>(0))?;
        rows.map(|r| r.map(|s| serde_json::from_str(&s).unwrap_or(Json::Null))).collect()
    }
}
