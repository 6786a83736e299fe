//! Inbox queries: the tasks a user may claim or holds.

use serde::Serialize;

use super::{Store, StoreError};

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// The user.
    pub user: String,
    /// Their department.
    pub department: Option<String>,
    /// Their roles.
    pub roles: Vec<String>,
    /// Their unit.
    pub unit: Option<String>,
    /// Only tasks in this state (`open` or `claimed`); both when omitted.
    pub state: Option<String>,
    /// Only tasks of this case type.
    pub case_type: Option<String>,
    /// Only tasks whose case id is this, or whose case's text contains it.
    pub search: Option<String>,
    /// The colleagues whose held tasks the user sees too (they are away and the user stands in).
    pub stands_in_for: Vec<String>,
    /// Page size (1–200).
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// A task in an inbox.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InboxItem {
    /// The task id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The task's name.
    pub name: String,
    /// `open` or `claimed`.
    pub state: String,
    /// The department.
    pub department: String,
    /// The role.
    pub role: String,
    /// The unit, if the task is for one unit.
    pub unit: Option<String>,
    /// Who holds it.
    pub assignee: Option<String>,
    /// When it was created (UTC ms).
    pub created_at: i64,
    /// The case type.
    pub case_type: String,
    /// The case's state.
    pub case_state: String,
    /// The case's number.
    #[sqlx(default)]
    pub case_number: Option<String>,
    /// Whether the case is past its due time (read by the department's views; `None` elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(default)]
    pub breached: Option<i64>,
    /// The case's aggregate as stored, read only for a search that checks it further.
    #[serde(skip)]
    #[sqlx(default)]
    pub data: Option<String>,
}

/// The most candidate rows a further-checked search reads per query (an inbox search whose
/// matches are checked against what the user may see of each case).
pub const CHECKED_SEARCH_SCAN: i64 = 2_000;

impl Store {
    /// The tasks `f.user` may claim (their department, one of their roles, their unit or none)
    /// or already holds (or a colleague they stand in for holds), oldest first.
    ///
    /// One indexed query per role (on `tasks (department, role, state, created_at)`) and one
    /// for the tasks held (on `tasks (assignee, state)`), each reading at most `offset + limit`
    /// rows in order; the lists are merged here. A single query with `OR` would read and sort
    /// every open task of the department.
    pub async fn inbox(&self, f: &InboxFilter) -> Result<Vec<InboxItem>, StoreError> {
        self.inbox_checked(f, None).await
    }

    /// As [`Store::inbox`], but a search's matches are kept only when `keep` accepts the
    /// case's stored aggregate (the caller checks the text against what the user may see, so
    /// a search never matches on what is masked). At most [`CHECKED_SEARCH_SCAN`] candidates
    /// are read per query.
    pub async fn inbox_checked(
        &self,
        f: &InboxFilter,
        keep: Option<&(dyn Fn(&str) -> bool + Sync)>,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let keep = keep.filter(|_| f.search.as_deref().is_some_and(|s| !s.is_empty()));
        let columns = format!(
            "SELECT t.id, t.case_id, t.name, t.state, t.department, t.role, t.unit, t.assignee, \
             t.created_at, c.case_type, c.state AS case_state, c.number AS case_number{} FROM tasks t JOIN cases c ON c.id = t.case_id",
            if keep.is_some() { ", c.data" } else { "" }
        );
        // Personal data is sealed: a search finds it only whole, by the blind index of the term
        // as a phone number, an ID number or a name (`$person`), never by a substring.
        let filters = |person: usize| {
            format!(
                "AND ($3 = '' OR c.case_type = $3) AND ($4 = '' OR c.id = $4 OR c.number = $4 OR c.data LIKE $5 ESCAPE '\\' \
                 OR c.id IN (SELECT p.case_id FROM person_index p WHERE p.value = ${person})) \
                 ORDER BY t.created_at, t.id LIMIT $6"
            )
        };
        let limit = f.limit.clamp(1, 200);
        let offset = f.offset.clamp(0, 100_000);
        let want = if keep.is_some() {
            CHECKED_SEARCH_SCAN
        } else {
            offset + limit
        };
        let state = f.state.as_deref().unwrap_or("");
        let case_type = f.case_type.as_deref().unwrap_or("");
        let search = f.search.as_deref().unwrap_or("");
        let pattern = like_pattern(search);
        let person = match (&self.master, search.trim()) {
            (Some(m), term) if !term.is_empty() => {
                let (kind, value) = super::sealed::person_term(term);
                m.blind_index(kind, &value)
            }
            _ => String::new(),
        };
        let mut rows: Vec<InboxItem> = Vec::new();
        if let Some(dept) = f.department.as_deref().filter(|_| state != "claimed") {
            let sql = format!(
                "{columns} WHERE t.department = $1 AND t.role = $2 AND t.state = 'open' \
                 AND (t.unit IS NULL OR t.unit = $7) {}",
                filters(8)
            );
            for role in &f.roles {
                rows.extend(
                    sqlx::query_as::<_, InboxItem>(&sql)
                        .bind(dept)
                        .bind(role)
                        .bind(case_type)
                        .bind(search)
                        .bind(&pattern)
                        .bind(want)
                        .bind(f.unit.as_deref().unwrap_or(""))
                        .bind(&person)
                        .fetch_all(&self.pool)
                        .await?,
                );
            }
        }
        let sql = format!(
            "{columns} WHERE t.assignee = $1 AND t.state IN ('open', 'claimed') AND ($2 = '' OR t.state = $2) {}",
            filters(7)
        );
        for holder in std::iter::once(&f.user).chain(&f.stands_in_for) {
            rows.extend(
                sqlx::query_as::<_, InboxItem>(&sql)
                    .bind(holder)
                    .bind(state)
                    .bind(case_type)
                    .bind(search)
                    .bind(&pattern)
                    .bind(want)
                    .bind(&person)
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        if let Some(keep) = keep {
            rows.retain(|r| r.data.as_deref().is_some_and(keep));
            for r in &mut rows {
                r.data = None;
            }
        }
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        Ok(rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect())
    }
}

/// A `LIKE` pattern matching text that contains `s` (its own `%`, `_` and `\\` taken literally).
/// JSON keeps non-ASCII text as it is, so Chinese text is found in the stored aggregate.
fn like_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
