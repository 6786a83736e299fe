//! `yimen bench all --quick`: every benchmark runs (at small sizes) and reports a figure beside
//! each goal, so none of them rots between the runs that produce `docs/benchmarks.md`.

use crate::{run, stdout};

#[test]
fn every_benchmark_runs_and_reports_its_figure_beside_its_goal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["bench", "all", "--quick", "--dir", &dir.path().display().to_string()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let goals = text.split("## Goals").nth(1).expect("a goals table");
    let rows: Vec<Vec<&str>> = goals
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| benchmark"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    for what in [
        "W1 case lifecycles, SQLite durable",
        "W2 timers, sqlite",
        "monthly bulletin, sqlite",
        "annual assessment, sqlite",
        "inbox page, sqlite",
        "case page, sqlite",
        "pages' memory, sqlite",
        "start-up, sqlite",
        "simulated year, sqlite",
    ] {
        let row = rows
            .iter()
            .find(|r| r[0] == what)
            .unwrap_or_else(|| panic!("no goal row for {what}:\n{goals}"));
        assert_eq!(row.len(), 4, "{row:?}");
        assert!(
            row[1].chars().next().is_some_and(|c| c.is_ascii_digit())
                || row[1].starts_with("p99")
                || row[1].starts_with("peak"),
            "{what} has a figure: {row:?}"
        );
        assert!(row[3] == "yes" || row[3] == "**no**", "{row:?}");
    }
    // The store of many cases is kept for the next run; the others are scratch.
    assert!(dir.path().join("quick-store.db").exists());
}
