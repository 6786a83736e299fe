//! Effects: what the shell must do, as data, in the same transaction as the case write.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{CaseId, UserId};
use crate::model::{Channel, Recipient};

/// An effect of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Insert a durable timer row.
    StartTimer {
        /// The row's key.
        key: String,
        /// The timer's name.
        name: String,
        /// When it is due.
        due_at: DateTime<Utc>,
    },
    /// Mark a timer row cancelled.
    CancelTimer {
        /// The row's key.
        key: String,
    },
    /// Record a rung's firing under a unique key (case, clock, rung), taken in the same
    /// transaction: a second firing cannot commit.
    RungFired {
        /// The case.
        case_id: CaseId,
        /// The rung.
        rung: String,
    },
    /// Queue a notification in the outbox.
    Notify {
        /// A stable key: the same decision always yields the same key.
        idempotency_key: String,
        /// The template.
        template: String,
        /// Whom to.
        to: Vec<Recipient>,
        /// Channels (empty: recipients' preferences).
        channels: Vec<Channel>,
    },
    /// A task was assigned to (`delta` 1) or taken from (`delta` −1) `user`: the shell keeps
    /// its counts for assignment by load in step. Writes nothing to the store.
    WorkloadChanged {
        /// The assignee.
        user: UserId,
        /// +1 or −1.
        delta: i64,
    },
}
