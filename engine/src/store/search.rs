//! Case lists and full-text search. The writer keeps, beside each case, the columns lists filter
//! on and the case's words in `case_search`; a list is one query over exactly the cases its
//! reader may see ([`Scope`]), filtered ([`CaseQuery`]) and paged by a cursor.
//!
//! Words: Chinese text is cut into overlapping two-character words (`拖欠工资` → 拖欠 欠工 工资),
//! so any two-character word or name is found without a dictionary; other text into whole words,
//! lower-cased. A query is cut the same way and matches a case that has all its words. Personal
//! data is never among a case's words: it is found whole, by its blind index, and only by roles
//! that may see it.

use std::collections::BTreeSet;

use super::sealed::person_term;
use super::{Backend, Store, StoreError};
use crate::core::case::Case;
use crate::model::case_type::{CaseTypeFile, FieldType};

/// Whether `c` is a CJK ideograph (cut into two-character words).
fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// The words of `text`, added to `out`.
pub fn words(text: &str, out: &mut BTreeSet<String>) {
    let mut han: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_han = |han: &mut Vec<char>, out: &mut BTreeSet<String>| {
        match han.len() {
            0 => {}
            1 => {
                out.insert(han[0].to_string());
            }
            _ => {
                for w in han.windows(2) {
                    out.insert(w.iter().collect());
                }
            }
        }
        han.clear();
    };
    for c in text.chars() {
        if is_han(c) {
            if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            flush_han(&mut han, out);
            word.extend(c.to_lowercase());
        } else {
            flush_han(&mut han, out);
            if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
        }
    }
    flush_han(&mut han, out);
    if !word.is_empty() {
        out.insert(word);
    }
}

/// The words a case is found by: its number, and its text fields that are not personal data.
/// Space-separated.
pub fn case_words(def: Option<&CaseTypeFile>, case: &Case) -> String {
    let mut out = BTreeSet::new();
    if let Some(n) = &case.number {
        words(n, &mut out);
    }
    if let Some(def) = def {
        for (id, f) in &def.fields {
            if f.is_personal() {
                continue;
            }
            let Some(v) = case.fields.get(id).and_then(serde_json::Value::as_str) else {
                continue;
            };
            // Only text: a choice is not searched by its words (and an action that sets one
            // leaves the words alone, so it writes nothing to the index).
            if f.ty == FieldType::Text {
                words(v, &mut out);
            }
        }
    }
    out.into_iter().collect::<Vec<_>>().join(" ")
}

/// Who reads a list: which cases they may see (the same rule as a single case's page).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Every case (an administrator, a first-level supervisor).
    pub all: bool,
    /// Cases whose supervision reached this level or higher (a higher supervisor).
    pub supervision_level: Option<i64>,
    /// The reader: cases they opened or held a task of.
    pub user: String,
    /// Their department.
    pub department: Option<String>,
    /// They head it: every case of the department, or that was in its inbox.
    pub head: bool,
    /// The units their work covers (their own and those below it); `None` for every unit.
    pub units: Option<Vec<String>>,
    /// Whether a case of no unit is theirs (they work at the district).
    pub unitless: bool,
    /// They dispatch what reaches nobody: every case with an open task nobody may claim.
    pub unstaffed: bool,
}

/// A list's filters, as a reader gives them (each `None` or empty: not filtered).
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Words of the case's text, or its number.
    pub text: Option<String>,
    /// A phone number, ID number or name, matched whole through the blind index (only for
    /// readers who may see personal data; the caller decides and records it).
    pub person: Option<String>,
    /// Every case of the citizen of this case (the same phone or ID number, through the blind
    /// indexes): their history. Only for readers who may see personal data; the caller decides.
    pub citizen_of: Option<String>,
    /// A person as [`Store::person_ref`] names them (so a page's link never holds a phone or ID
    /// number).
    pub person_ref: Option<String>,
    /// The number, exactly.
    pub number: Option<String>,
    /// States (any of).
    pub states: Vec<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Case types (any of).
    pub case_types: Vec<String>,
    /// The handling department.
    pub department: Option<String>,
    /// The unit.
    pub unit: Option<String>,
    /// The tier.
    pub tier: Option<String>,
    /// The intake channel.
    pub channel: Option<String>,
    /// Opened at or after (UTC ms).
    pub opened_from: Option<i64>,
    /// Opened before (UTC ms).
    pub opened_to: Option<i64>,
    /// Closed at or after (UTC ms).
    pub closed_from: Option<i64>,
    /// Closed before (UTC ms).
    pub closed_to: Option<i64>,
    /// Only cases whose SLA clock breached (or only those whose did not).
    pub overdue: Option<bool>,
    /// Only cases supervised at this level or higher.
    pub supervision_level: Option<i64>,
    /// Only cases brought again at least this often.
    pub repeats_at_least: Option<i64>,
    /// Newest first (the default) or oldest first.
    pub oldest_first: bool,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
    /// At most this many (1 to 500).
    pub limit: i64,
}

/// A position in a list: the opening instant and id of the last case shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// UTC ms.
    pub opened_at: i64,
    /// The case id.
    pub id: String,
}

impl Cursor {
    /// As a URL-safe text.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.opened_at, self.id)
    }

    /// From [`Cursor::encode`]'s text; `None` when it is not one.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('.')?;
        let opened_at = at.parse().ok()?;
        let id = super::numbers::as_case_id(id)?;
        Some(Cursor { opened_at, id })
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The cases, in order.
    pub cases: Vec<Case>,
    /// Where the next page starts, when there may be one.
    pub next: Option<Cursor>,
}

/// A statement's text and its values, numbered as they are pushed.
struct Sql {
    text: String,
    values: Vec<Value>,
}

enum Value {
    Text(String),
    Int(i64),
}

impl Sql {
    fn text(&mut self, v: impl Into<String>) -> String {
        self.values.push(Value::Text(v.into()));
        format!("${}", self.values.len())
    }

    fn int(&mut self, v: i64) -> String {
        self.values.push(Value::Int(v));
        format!("${}", self.values.len())
    }

    fn list(&mut self, vs: &[String]) -> String {
        vs.iter().map(|v| self.text(v.clone())).collect::<Vec<_>>().join(", ")
    }
}

/// A LIKE pattern finding `item` in a `,a,b,` list column (`%` and `_` in it taken literally;
/// the statement says `ESCAPE '!'`). `prefix`: `item` begins an entry.
fn in_list(sql: &mut Sql, item: &str, prefix: bool) -> String {
    let escaped: String = item
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '!' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    let end = if prefix { "%" } else { ",%" };
    sql.text(format!("%,{escaped}{end}"))
}

/// The reader's scope as a condition on `c`: only columns of the case row (its opener, its
/// tasks' holders and places kept beside it), so a list walking the cases in its order checks
/// each row as it goes.
fn scope_condition(sql: &mut Sql, scope: &Scope) -> String {
    if scope.all {
        return "1 = 1".into();
    }
    let user = sql.text(scope.user.clone());
    let held = in_list(sql, &scope.user, false);
    let mut any = vec![
        format!("c.opened_by = {user}"),
        format!("c.task_holders LIKE {held} ESCAPE '!'"),
    ];
    if let Some(level) = scope.supervision_level {
        any.push(format!("c.supervision_level >= {}", sql.int(level)));
    }
    if scope.unstaffed {
        any.push("c.id IN (SELECT u.case_id FROM tasks u WHERE u.unstaffed = 1 AND u.state = 'open')".into());
    }
    if let Some(dept) = &scope.department {
        let d = sql.text(dept.clone());
        let whole = scope.head || scope.units.is_none();
        match &scope.units {
            Some(units) if !whole => {
                let list = if units.is_empty() {
                    "NULL".to_owned()
                } else {
                    sql.list(units)
                };
                let unitless = if scope.unitless { " OR c.unit IS NULL" } else { "" };
                any.push(format!("(c.department = {d} AND (c.unit IN ({list}){unitless}))"));
                // A task for the whole department, or for one of the reader's units.
                let whole_dept = in_list(sql, &format!("{dept}@"), false);
                any.push(format!("c.task_places LIKE {whole_dept} ESCAPE '!'"));
                for u in units {
                    let p = in_list(sql, &format!("{dept}@{u}"), false);
                    any.push(format!("c.task_places LIKE {p} ESCAPE '!'"));
                }
            }
            _ => {
                any.push(format!("c.department = {d}"));
                let p = in_list(sql, &format!("{dept}@"), true);
                any.push(format!("c.task_places LIKE {p} ESCAPE '!'"));
            }
        }
    }
    format!("({})", any.join(" OR "))
}

/// A search's words as an FTS5 query: every word, each quoted.
fn fts_match(ws: &BTreeSet<String>) -> String {
    ws.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ")
}

/// From how many matching cases a search walks the list instead of starting from its matches.
const BROAD: i64 = 1000;

/// The length of a person reference (a blind index, hex).
pub const PERSON_REF_LEN: usize = 32;

/// How many unindexed cases one transaction indexes.
const INDEX_BATCH: i64 = 500;

impl Store {
    /// What a person search for `term` (a phone, ID number or name) looks for: its blind index,
    /// which names the person without showing them (a store without a master key has no blind
    /// indexes, and its reference finds nothing).
    pub fn person_ref(&self, term: &str) -> String {
        match &self.master {
            Some(m) => {
                let (kind, value) = person_term(term.trim());
                m.blind_index(kind, &value)
            }
            None => "0".repeat(PERSON_REF_LEN),
        }
    }

    /// Gives the words `words_of` finds to every case that has none in the index (cases from
    /// before search, or numbered since); returns how many.
    pub async fn index_unindexed(&self, words_of: &(dyn Fn(&Case) -> String + Sync)) -> Result<u64, StoreError> {
        let sql = "SELECT c.id, c.data FROM cases c WHERE c.searchable = 0 ORDER BY c.id LIMIT $1";
        let mut total = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let rows: Vec<(String, String)> = sqlx::query_as(sql).bind(INDEX_BATCH).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                tx.commit().await?;
                return Ok(total);
            }
            let mut out = Vec::with_capacity(rows.len());
            for (id, data) in rows {
                let case: Case =
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("case {id}: {e}")))?;
                out.push(super::batch::SearchRow {
                    case_id: id,
                    terms: words_of(&case),
                    // Words the case may have (it was renumbered since) are replaced.
                    replaces: true,
                });
            }
            total += out.len() as u64;
            super::batch::write_search_rows(&mut tx, self.backend, &out).await?;
            for r in &out {
                sqlx::query("UPDATE cases SET searchable = 1 WHERE id = $1")
                    .bind(&r.case_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// Whether a list's words are had by many cases (SQLite: it then walks the list; PostgreSQL
    /// plans from its own statistics).
    async fn broad_words(&self, q: &CaseQuery) -> Result<bool, StoreError> {
        let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(false);
        };
        if self.backend != Backend::Sqlite {
            return Ok(false);
        }
        let mut ws = BTreeSet::new();
        words(text, &mut ws);
        if ws.is_empty() {
            return Ok(false);
        }
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM (SELECT rowid FROM case_search WHERE case_search MATCH $1 LIMIT $2)")
                .bind(fts_match(&ws))
                .bind(BROAD)
                .fetch_one(&self.pool)
                .await?;
        Ok(n >= BROAD)
    }

    /// The conditions of a list: the reader's scope and the filters.
    fn conditions(&self, sql: &mut Sql, scope: &Scope, q: &CaseQuery, broad: bool, is_number: bool) -> Vec<String> {
        let mut conds = vec![scope_condition(sql, scope)];
        let eq = |sql: &mut Sql, conds: &mut Vec<String>, col: &str, v: &Option<String>| {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                let p = sql.text(v.clone());
                conds.push(format!("c.{col} = {p}"));
            }
        };
        eq(sql, &mut conds, "number", &q.number);
        eq(sql, &mut conds, "status", &q.status);
        eq(sql, &mut conds, "department", &q.department);
        eq(sql, &mut conds, "unit", &q.unit);
        eq(sql, &mut conds, "tier", &q.tier);
        eq(sql, &mut conds, "channel", &q.channel);
        if !q.states.is_empty() {
            let list = sql.list(&q.states);
            conds.push(format!("c.state IN ({list})"));
        }
        if !q.case_types.is_empty() {
            let list = sql.list(&q.case_types);
            conds.push(format!("c.case_type IN ({list})"));
        }
        let mut range = |col: &str, op: &str, v: Option<i64>| {
            if let Some(v) = v {
                let p = sql.int(v);
                conds.push(format!("c.{col} {op} {p}"));
            }
        };
        range("opened_at", ">=", q.opened_from);
        range("opened_at", "<", q.opened_to);
        range("closed_at", ">=", q.closed_from);
        range("closed_at", "<", q.closed_to);
        range("supervision_level", ">=", q.supervision_level);
        range("repeats", ">=", q.repeats_at_least);
        if let Some(o) = q.overdue {
            conds.push(format!("c.breached = {}", i32::from(o)));
        }
        if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let mut ws = BTreeSet::new();
            words(text, &mut ws);
            // A case's number finds that case alone; any other text, the cases with its words
            // (one condition or the other, never both: an `OR` beside the words keeps either
            // database from walking the list).
            if is_number || ws.is_empty() {
                let number = sql.text(text.to_owned());
                conds.push(format!("c.number = {number}"));
            } else {
                let found = match self.backend {
                    Backend::Sqlite => {
                        let p = sql.text(fts_match(&ws));
                        // Words many cases have: walk the list in its order and keep those among
                        // the matches (`+` keeps SQLite from driving by the matches and sorting
                        // them all); words few have: start from the matches.
                        let walk = if broad { "+" } else { "" };
                        format!("{walk}c.rowid IN (SELECT rowid FROM case_search WHERE case_search MATCH {p})")
                    }
                    Backend::Postgres => {
                        let p = sql.text(ws.into_iter().collect::<Vec<_>>().join(" "));
                        format!(
                            "c.id IN (SELECT s.case_id FROM case_search s WHERE s.terms @> string_to_array({p}, ' '))"
                        )
                    }
                };
                conds.push(found);
            }
        }
        if let Some(person) = q.person.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let value = match &self.master {
                Some(m) => {
                    let (kind, value) = person_term(person);
                    m.blind_index(kind, &value)
                }
                // An unsealed store has no blind indexes: nothing is found this way.
                None => String::new(),
            };
            let p = sql.text(value);
            conds.push(format!(
                "c.id IN (SELECT p.case_id FROM person_index p WHERE p.value = {p})"
            ));
        }
        if let Some(r) = &q.person_ref {
            let p = sql.text(r.clone());
            conds.push(format!(
                "c.id IN (SELECT p.case_id FROM person_index p WHERE p.value = {p})"
            ));
        }
        if let Some(of) = &q.citizen_of {
            let p = sql.text(of.clone());
            conds.push(format!(
                "c.id IN (SELECT b.case_id FROM person_index a JOIN person_index b ON b.kind = a.kind AND b.value = a.value \
                 WHERE a.case_id = {p} AND a.kind IN ('phone', 'id_number'))"
            ));
        }
        conds
    }

    /// One page of the cases `scope` may see that match `q`, newest first unless asked otherwise.
    /// `q.text` with no word of two characters or more (or a single Chinese character alone)
    /// matches only by number.
    pub async fn list_cases(&self, scope: &Scope, q: &CaseQuery) -> Result<CasePage, StoreError> {
        let mut sql = Sql {
            text: String::new(),
            values: Vec::new(),
        };
        let broad = self.broad_words(q).await?;
        let is_number = match q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => self.case_id_by_number(t).await?.is_some(),
            None => false,
        };
        let mut conds = self.conditions(&mut sql, scope, q, broad, is_number);
        let (cmp, dir) = if q.oldest_first { (">", "ASC") } else { ("<", "DESC") };
        if let Some(after) = &q.after {
            let at = sql.int(after.opened_at);
            let id = sql.text(after.id.clone());
            conds.push(format!(
                "(c.opened_at {cmp} {at} OR (c.opened_at = {at} AND c.id {cmp} {id}))"
            ));
        }
        let limit = q.limit.clamp(1, 500);
        let lim = sql.int(limit + 1);
        sql.text = format!(
            "SELECT c.id, c.opened_at FROM cases c WHERE {} ORDER BY c.opened_at {dir}, c.id {dir} LIMIT {lim}",
            conds.join(" AND ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql.text);
        for v in sql.values {
            query = match v {
                Value::Text(s) => query.bind(s),
                Value::Int(i) => query.bind(i),
            };
        }
        let mut rows = query.fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let next = if more {
            rows.last().map(|(id, at)| Cursor {
                opened_at: *at,
                id: id.clone(),
            })
        } else {
            None
        };
        let ids: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        let mut cases = self.cases_by_ids(&ids).await?;
        let order: std::collections::HashMap<&str, usize> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        cases.sort_by_key(|c| order.get(c.id.as_ref()).copied().unwrap_or(usize::MAX));
        Ok(CasePage { cases, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(s: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        words(s, &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn chinese_is_cut_into_two_character_words_and_other_text_into_words() {
        assert_eq!(cut("拖欠工资"), ["工资", "拖欠", "欠工"]);
        assert_eq!(cut("噪音"), ["噪音"]);
        assert_eq!(cut("水"), ["水"]);
        assert_eq!(
            cut("ABC公司 No.5，夜间噪音!"),
            ["5", "abc", "no", "公司", "噪音", "夜间", "间噪"]
        );
        assert_eq!(cut("普治〔2026〕00123号"), ["00123", "2026", "号", "普治"]);
        assert!(cut(" ,。！").is_empty());
    }
}
