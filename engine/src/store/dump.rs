//! The whole stored state of the cases, as data: every row of the tables a case's life writes,
//! column by column, with JSON text read as JSON. The engine's whole-state snapshot tests compare
//! it after each bundled scenario; support can read a store's state the same way.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sqlx::{Column, Row};

use super::{Store, StoreError};

/// The tables a case's life writes, in the order a dump lists them.
pub const CASE_TABLES: &[&str] = &[
    "cases",
    "case_events",
    "tasks",
    "timers",
    "rung_firings",
    "outbox",
    "deliveries",
    "repeat_keys",
    "idempotency",
];

impl Store {
    /// Every row of [`CASE_TABLES`], as objects from column to value, in no particular order.
    pub async fn dump(&self) -> Result<BTreeMap<&'static str, Vec<Map<String, Value>>>, StoreError> {
        let mut out = BTreeMap::new();
        for table in CASE_TABLES {
            // The names are the constants above, never input.
            let rows = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(&self.pool)
                .await?;
            out.insert(*table, rows.iter().map(row_values).collect());
        }
        Ok(out)
    }
}

fn row_values(row: &sqlx::any::AnyRow) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        let v = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            v.map_or(Value::Null, Value::from)
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            v.map_or(Value::Null, Value::from)
        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            v.map_or(Value::Null, |s| {
                if s.starts_with(['{', '[']) {
                    serde_json::from_str(&s).unwrap_or(Value::String(s))
                } else {
                    Value::String(s)
                }
            })
        } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
            v.map_or(Value::Null, Value::from)
        } else {
            Value::String("<unreadable>".into())
        };
        m.insert(c.name().to_owned(), v);
    }
    m
}
