//! The engine's integration tests, in one binary (one link instead of one per file): each
//! module is a suite — the store's conformance per database, the runtime on both backends,
//! intake, supervision, reports, rendering, the broken-definition corpus, hostile input,
//! faults and the seed's simulated year.

mod common;
mod conformance;
mod corpus;
mod faults;
mod files;
mod hostile;
mod intake;
mod migration;
mod numbers;
mod render;
mod reports;
mod runtime;
mod sealing;
mod search;
mod seed_year;
mod snapshots;
mod store;
mod supervision;
mod waits;
