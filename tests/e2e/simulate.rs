//! `yimen simulate`: a small year through the real engine; its bulletin equals the generator's
//! ground truth, and the same seed gives the same year.

use crate::{run, stdout};

fn simulate(db: &str, seed: &str) -> String {
    let out = run(&["simulate", "--db", db, "--scale", "0.02", "--seed", seed]);
    assert!(
        out.status.success(),
        "{}\n{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// The lines that say what happened (without the elapsed time).
fn figures(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('|') || l.starts_with("ground truth") || l.starts_with("notifications"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_simulated_year_reports_its_ground_truth_and_repeats_for_a_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = |n: &str| format!("sqlite://{}", dir.path().join(n).display());
    let a = simulate(&db("a.db"), "7");
    assert!(a.contains("the bulletin agrees"), "{a}");
    assert!(a.contains("supervision_l1"), "late cases climbed the ladder: {a}");
    let b = simulate(&db("b.db"), "7");
    assert_eq!(figures(&a), figures(&b), "the same seed, the same year");
    let c = simulate(&db("c.db"), "8");
    assert_ne!(figures(&a), figures(&c), "another seed, another year");
    // A database that holds cases is refused.
    let again = run(&["simulate", "--db", &db("a.db"), "--scale", "0.02"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("fresh database"));
}
