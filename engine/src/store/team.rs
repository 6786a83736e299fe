//! A department's work as its heads see it: the tasks that reach nobody (the unstaffed queue,
//! also the dispatching clerks' for every department), each person's load with what is overdue,
//! and the department's tasks by holder.

use serde::Serialize;

use super::inbox::InboxItem;
use super::{Store, StoreError};

/// The columns of a task as an inbox lists it, with whether its case is overdue.
const COLUMNS: &str = "SELECT t.id, t.case_id, t.name, t.state, t.department, t.role, t.unit, t.assignee, \
     t.created_at, c.case_type, c.state AS case_state, c.number AS case_number, c.breached \
     FROM tasks t JOIN cases c ON c.id = t.case_id";

/// One person's share of a department's open work (`assignee` `None`: nobody holds it yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Load {
    /// Who holds the tasks; `None` for the department's unheld tasks.
    pub assignee: Option<String>,
    /// Open tasks held (or unheld).
    pub open: i64,
    /// Of those, tasks whose case is past its due time.
    pub overdue: i64,
}

/// Whose tasks of a department to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    /// Every open task.
    Anyone,
    /// Tasks nobody holds.
    Nobody,
    /// One person's.
    Person(&'a str),
}

impl Store {
    /// The open tasks that reach nobody, oldest first: of `department`, or of every department
    /// (`None`, the dispatching clerks' queue). At most `limit` (1–500).
    pub async fn unstaffed_tasks(&self, department: Option<&str>, limit: i64) -> Result<Vec<InboxItem>, StoreError> {
        let sql = format!(
            "{COLUMNS} WHERE t.unstaffed = 1 AND t.state = 'open' AND ($1 = '' OR t.department = $1) \
             ORDER BY t.created_at, t.id LIMIT $2"
        );
        Ok(sqlx::query_as::<_, InboxItem>(&sql)
            .bind(department.unwrap_or(""))
            .bind(limit.clamp(1, 500))
            .fetch_all(&self.pool)
            .await?)
    }

    /// How many open tasks reach nobody: of `department`, or of every department (`None`).
    pub async fn unstaffed_count(&self, department: Option<&str>) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tasks WHERE unstaffed = 1 AND state = 'open' AND ($1 = '' OR department = $1)",
        )
        .bind(department.unwrap_or(""))
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Each holder's open tasks of `department` and how many of them are overdue, the unheld
    /// ones as `assignee: None`; by holder.
    pub async fn department_load(&self, department: &str) -> Result<Vec<Load>, StoreError> {
        Ok(sqlx::query_as::<_, Load>(
            "SELECT t.assignee, COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN c.breached <> 0 THEN 1 ELSE 0 END), 0) AS overdue \
             FROM tasks t JOIN cases c ON c.id = t.case_id \
             WHERE t.department = $1 AND t.state IN ('open', 'claimed') \
             GROUP BY t.assignee ORDER BY t.assignee",
        )
        .bind(department)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The open tasks of `department` held by `holder`, overdue ones only when asked, oldest
    /// first; at most `limit` (1–500).
    pub async fn department_tasks(
        &self,
        department: &str,
        holder: Holder<'_>,
        overdue: bool,
        limit: i64,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let (which, person) = match holder {
            Holder::Anyone => ("", ""),
            Holder::Nobody => ("nobody", ""),
            Holder::Person(p) => ("person", p),
        };
        let sql = format!(
            "{COLUMNS} WHERE t.department = $1 AND t.state IN ('open', 'claimed') \
             AND ($2 = '' OR ($2 = 'nobody' AND t.assignee IS NULL) OR ($2 = 'person' AND t.assignee = $3)) \
             AND ($4 = 0 OR c.breached <> 0) ORDER BY t.created_at, t.id LIMIT $5"
        );
        Ok(sqlx::query_as::<_, InboxItem>(&sql)
            .bind(department)
            .bind(which)
            .bind(person)
            .bind(i64::from(overdue))
            .bind(limit.clamp(1, 500))
            .fetch_all(&self.pool)
            .await?)
    }
}
