//! `yimen audit verify`: walk every case's hash chain and report the first broken link.

use serde::Serialize;

use super::cases::GENESIS;
use super::sealed::Chain;
use super::{Store, StoreError};

/// The first broken link of a case's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The case.
    pub case_id: String,
    /// The position where the chain breaks.
    pub seq: i64,
    /// What is wrong.
    pub problem: String,
}

/// The result of a verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// Cases checked.
    pub cases: u64,
    /// Events checked.
    pub events: u64,
    /// Broken chains, one entry per case.
    pub broken: Vec<BrokenLink>,
}

impl Store {
    /// Verifies every case's history: positions run 1, 2, 3…, each event's recorded previous hash is
    /// the hash of the event before it, each hash matches the event's content (on the case's
    /// chain: SHA-256, or SM3), and the case row records the last one. Sealed values are checked
    /// as sealed: no key is needed, and a shredded case's chain is as whole as before.
    pub async fn audit_verify(&self) -> Result<AuditReport, StoreError> {
        let cases: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT c.id, c.event_seq, c.last_hash, k.chain FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut report = AuditReport::default();
        for (case_id, event_seq, last_hash, chain) in cases {
            report.cases += 1;
            let chain = match chain.as_deref().map(Chain::parse) {
                None => Chain::Sha256,
                Some(Some(c)) => c,
                Some(None) => {
                    report.broken.push(BrokenLink {
                        case_id,
                        seq: 1,
                        problem: "its chain names an unknown digest".to_owned(),
                    });
                    continue;
                }
            };
            let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
                "SELECT seq, at, actor, payload, prev_hash, hash FROM case_events WHERE case_id = $1 ORDER BY seq",
            )
            .bind(&case_id)
            .fetch_all(&self.pool)
            .await?;
            let mut prev = GENESIS.to_owned();
            let mut expected_seq = 1;
            let mut broken = None;
            for (seq, at, actor, payload, prev_hash, hash) in &rows {
                report.events += 1;
                let problem = if *seq != expected_seq {
                    Some(format!("event {expected_seq} is missing (found {seq})"))
                } else if *prev_hash != prev {
                    Some("the previous-hash link does not match the event before it (deleted or reordered)".to_owned())
                } else if chain.event_hash(prev_hash, &case_id, *seq, *at, actor, payload) != *hash {
                    Some("the event's content does not match its hash (edited)".to_owned())
                } else {
                    None
                };
                if let Some(problem) = problem {
                    broken = Some(BrokenLink {
                        case_id: case_id.clone(),
                        seq: expected_seq,
                        problem,
                    });
                    break;
                }
                prev = hash.clone();
                expected_seq += 1;
            }
            if broken.is_none() && (expected_seq - 1 != event_seq || prev != last_hash) {
                broken = Some(BrokenLink {
                    case_id: case_id.clone(),
                    seq: expected_seq,
                    problem: format!(
                        "the history ends at event {} but the case records {event_seq} events (events removed from the end)",
                        expected_seq - 1
                    ),
                });
            }
            report.broken.extend(broken);
        }
        Ok(report)
    }
}
