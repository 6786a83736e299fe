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
}

impl Store {
    /// The tasks `f.user` may claim (their department, one of their roles, their unit or none)
    /// or already holds, oldest first.
    pub async fn inbox(&self, f: &InboxFilter) -> Result<Vec<InboxItem>, StoreError> {
        // Roles are few; pass them as one delimited text to keep the statement static.
        let roles = format!(",{},", f.roles.join(","));
        let rows = sqlx::query_as::<_, InboxItem>(
            "SELECT t.id, t.case_id, t.name, t.state, t.department, t.role, t.unit, t.assignee, t.created_at, \
                    c.case_type, c.state AS case_state \
             FROM tasks t JOIN cases c ON c.id = t.case_id \
             WHERE t.state IN ('open', 'claimed') \
               AND ((t.department = $1 AND $2 LIKE '%,' || t.role || ',%' AND (t.unit IS NULL OR t.unit = $3) AND t.state = 'open') \
                    OR t.assignee = $4) \
               AND ($5 = '' OR t.state = $5) \
               AND ($6 = '' OR c.case_type = $6) \
               AND ($9 = '' OR c.id = $9 OR c.data LIKE $10 ESCAPE '\\') \
             ORDER BY t.created_at, t.id LIMIT $7 OFFSET $8",
        )
        .bind(f.department.as_deref().unwrap_or(""))
        .bind(roles)
        .bind(f.unit.as_deref().unwrap_or(""))
        .bind(&f.user)
        .bind(f.state.as_deref().unwrap_or(""))
        .bind(f.case_type.as_deref().unwrap_or(""))
        .bind(f.limit.clamp(1, 200))
        .bind(f.offset.max(0))
        .bind(f.search.as_deref().unwrap_or(""))
        .bind(like_pattern(f.search.as_deref().unwrap_or("")))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
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
