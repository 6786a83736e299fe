//! The core stays pure: its dependency closure (normal dependencies, as cargo resolves them for
//! this workspace and this machine) never gains a database driver, an async runtime or a
//! network crate. A change that makes `decide` reachable from sqlx or tokio fails here.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that mean I/O, a database or an async runtime.
const FORBIDDEN: &[&str] = &[
    "sqlx",
    "sqlx-core",
    "tokio",
    "mio",
    "hyper",
    "axum",
    "reqwest",
    "lettre",
    "async-std",
    "futures-io",
    "socket2",
    "rusqlite",
    "libsqlite3-sys",
];

/// The names of every crate `package` reaches through normal dependencies.
fn closure(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "-p",
            package,
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn forbidden_in(all: &BTreeSet<String>) -> Vec<&String> {
    all.iter().filter(|n| FORBIDDEN.contains(&n.as_str())).collect()
}

#[test]
fn the_core_reaches_no_database_runtime_or_network() {
    let all = closure("yimen-core");
    assert!(
        all.contains("chrono") && all.contains("serde"),
        "the walk found the core's own dependencies: {all:?}"
    );
    assert!(
        forbidden_in(&all).is_empty(),
        "yimen-core's dependency closure gained {:?}",
        forbidden_in(&all)
    );
}

#[test]
fn the_same_walk_finds_them_in_the_shell() {
    // The check above is not vacuous: from the shell, the same walk finds sqlx and tokio.
    let all = closure("yimen-engine");
    let found = forbidden_in(&all);
    assert!(
        found.iter().any(|n| *n == "sqlx") && found.iter().any(|n| *n == "tokio"),
        "{found:?}"
    );
}
