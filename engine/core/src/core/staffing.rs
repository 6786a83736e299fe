//! Who can work a task: the holders of its role in its department and unit, the people a task
//! may be given to, and who is told when a task reaches nobody.
//!
//! One rule for the inbox, claiming and coverage: a user may claim a task when they are in its
//! department, hold its role, and the task is for no unit or for theirs. A task may be *given*
//! (assigned, reassigned) a little further: to a holder of the role in the department whose unit
//! is the task's or one above it — the district's staff may take over a town's matter, a
//! neighbouring town's may not.

use chrono::{DateTime, Utc};

use super::case::{Case, TaskInstance};
use super::command::Actor;
use super::definition::Organisation;
use super::effect::Effect;
use super::event::{Event, EventKind};
use super::ids::UserId;
use super::supervision::Out;
use crate::model::organisation::User;
use crate::model::{Recipient, RecipientScope};

impl Organisation {
    /// Whether `user` may claim a task for `role` in `department` and `unit` (`None`: any unit).
    pub fn may_claim(user: &User, department: &str, role: &str, unit: Option<&str>) -> bool {
        user.department.as_deref() == Some(department)
            && user.roles.iter().any(|r| r == role)
            && unit.is_none_or(|u| u == user.unit)
    }

    /// The users who may claim a task for `role` in `department` and `unit`, by id.
    pub fn holders<'a>(
        &'a self,
        department: &'a str,
        role: &'a str,
        unit: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a String, &'a User)> + 'a {
        self.file
            .users
            .iter()
            .filter(move |(_, u)| Self::may_claim(u, department, role, unit))
    }

    /// Whether anyone may claim a task for `role` in `department` and `unit`.
    pub fn staffed(&self, department: &str, role: &str, unit: Option<&str>) -> bool {
        self.holders(department, role, unit).next().is_some()
    }

    /// Whether the user with id `user` may be given `task` (kept in `department`): they hold its
    /// role there and work in its unit or one above it. `None` when there is no such user.
    pub fn may_take(&self, user: &str, department: &str, task: &TaskInstance) -> Option<&User> {
        let u = self.user(user)?;
        let ok = u.department.as_deref() == Some(department)
            && u.roles.contains(&task.role)
            && task.unit.as_deref().is_none_or(|t| self.unit_within(t, &u.unit));
        ok.then_some(u)
    }

    /// Whether any role of `roles` dispatches the work the engine could not route.
    pub fn dispatches(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.file.roles.get(r).is_some_and(|r| r.dispatches))
    }

    /// Whether the user with `roles` in `department` heads `of`.
    pub fn heads(&self, roles: &[String], department: Option<&str>, of: &str) -> bool {
        department == Some(of) && self.heads_department(roles)
    }

    /// Who answers for a task of `department` that reaches nobody: the department's heads and
    /// the dispatching clerks, by id, in the organisation file's order.
    pub fn unstaffed_watchers(&self, department: &str) -> Vec<String> {
        self.file
            .users
            .iter()
            .filter(|(_, u)| self.heads(&u.roles, u.department.as_deref(), department) || self.dispatches(&u.roles))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Marks every open, unheld task of `case` that nobody may claim (and clears the mark where
/// someone now may): a newly marked task gets a warning in the history naming who is told and,
/// when the centre names a template for it, a message to the department's heads and the
/// dispatching clerks. Run after every move of the case, so a task opened, moved to another
/// department or to another unit is checked where it now is.
pub fn check(org: &Organisation, case: &mut Case, actor: &Actor, now: DateTime<Utc>, out: &mut Out) {
    for t in case.tasks.iter_mut().filter(|t| t.is_active()) {
        let nobody = t.assignee.is_none() && !org.staffed(&t.department, &t.role, t.unit.as_deref());
        if !nobody || t.unstaffed {
            t.unstaffed = nobody;
            continue;
        }
        t.unstaffed = true;
        let watchers = org.unstaffed_watchers(&t.department);
        if let Some(template) = org
            .file
            .centre
            .unstaffed_notify
            .clone()
            .filter(|_| !watchers.is_empty())
        {
            out.effects.push(Effect::Notify {
                idempotency_key: format!("{}/unstaffed/{}", t.id, case.version),
                template,
                to: watchers
                    .iter()
                    .map(|u| Recipient {
                        user: Some(u.clone()),
                        ..Recipient::default()
                    })
                    .collect(),
                channels: Vec::new(),
            });
        }
        out.events.push(Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::TaskUnstaffed {
                task: t.id.clone(),
                department: t.department.clone(),
                role: t.role.clone(),
                unit: t.unit.clone(),
                notified: watchers.into_iter().map(UserId::from).collect(),
            },
        });
    }
}

impl Organisation {
    /// The users a recipient of a message about `case` names, by id, in the organisation file's
    /// order: the named user, or the holders of the role where the recipient says (the case's
    /// handling department, its unit, the district). The citizen is no user: none.
    pub fn recipients<'a>(
        &'a self,
        r: &'a Recipient,
        case: &'a Case,
    ) -> impl Iterator<Item = (&'a String, &'a User)> + 'a {
        self.file.users.iter().filter(move |(id, u)| match (&r.user, &r.role) {
            _ if r.citizen => false,
            (Some(wanted), _) => wanted == *id,
            (None, Some(role)) => {
                u.roles.contains(role)
                    && match r.of.unwrap_or(RecipientScope::HandlingDepartment) {
                        RecipientScope::HandlingDepartment => u.department.as_deref() == Some(case.department.as_str()),
                        RecipientScope::HandlingUnit => case.unit.as_deref() == Some(u.unit.as_str()),
                        RecipientScope::District => true,
                    }
            }
            (None, None) => false,
        })
    }
}
