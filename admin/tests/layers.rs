//! The rooms of the workspace keep their walls: the layers reach only downwards (checked on the
//! dependency closures cargo resolves), and no crate's top-level modules import each other in
//! a loop (checked on the sources). A change that makes the service layer reach axum, the pages
//! reach the API, or `web` and `http` modules lean on each other again fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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
        .current_dir(workspace())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Each crate and what it must never reach.
const WALLS: &[(&str, &[&str])] = &[
    ("yimen-core", &["yimen-engine", "sqlx", "tokio", "axum"]),
    (
        "yimen-engine",
        &["yimen-notifiers", "yimen-service", "axum", "hyper", "lettre", "askama"],
    ),
    (
        "yimen-service",
        &[
            "axum",
            "hyper",
            "tower",
            "askama",
            "yimen-http",
            "yimen-api",
            "yimen-pages",
            "yimen-dispatch",
            "yimen-notifiers",
            "yimen-bench",
        ],
    ),
    (
        "yimen-http",
        &["askama", "yimen-api", "yimen-pages", "yimen-dispatch", "yimen-bench"],
    ),
    ("yimen-api", &["askama", "yimen-pages", "yimen-dispatch", "yimen-bench"]),
    ("yimen-pages", &["yimen-api", "yimen-dispatch", "yimen-bench"]),
    (
        "yimen-dispatch",
        &[
            "axum",
            "yimen-service",
            "yimen-http",
            "yimen-api",
            "yimen-pages",
            "yimen-bench",
        ],
    ),
    ("yimen-bench", &["yimen-api", "yimen-pages", "yimen-dispatch"]),
    (
        "yimen-reports",
        &[
            "axum",
            "hyper",
            "yimen-notifiers",
            "yimen-service",
            "yimen-http",
            "yimen-api",
            "yimen-pages",
            "yimen-dispatch",
            "yimen-bench",
        ],
    ),
];

#[test]
fn each_layer_reaches_only_downwards() {
    let mut breaches = Vec::new();
    for (krate, never) in WALLS {
        let all = closure(krate);
        assert!(all.contains(*krate), "the walk found {krate} itself: {all:?}");
        for n in *never {
            if all.contains(*n) {
                breaches.push(format!("{krate} reaches {n}"));
            }
        }
    }
    assert!(breaches.is_empty(), "{breaches:#?}");
}

#[test]
fn the_binary_reaches_every_room() {
    // The walls above are not vacuous: the same walk from the binary finds every crate.
    let all = closure("yimen");
    for (krate, _) in WALLS {
        assert!(all.contains(*krate), "yimen does not reach {krate}");
    }
    assert!(all.contains("axum") && all.contains("askama"));
}

/// The crates' source roots.
const SOURCES: &[&str] = &[
    "engine/core/src",
    "engine/src",
    "notifiers/src",
    "admin/service/src",
    "admin/http/src",
    "admin/api/src",
    "admin/pages/src",
    "admin/reports/src",
    "admin/dispatch/src",
    "admin/bench/src",
    "admin/src",
];

/// The top-level module a source file belongs to (`runtime/fast.rs` → `runtime`).
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_owned();
    (name != "lib" && name != "main").then_some(name)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Edges between a crate's top-level modules: `a` names `crate::b` (or, from a file directly
/// under the root, `super::b`).
fn module_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(root, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = module_of(root, f) else { continue };
        // Test code may reach any module; only the product's imports count.
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read");
        let product = text.split("#[cfg(test)]").next().unwrap_or_default();
        let top_level_file = f.parent() == Some(root);
        for line in product.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
            for (prefix, allowed) in [("crate::", true), ("super::", top_level_file)] {
                if !allowed {
                    continue;
                }
                for (i, _) in line.match_indices(prefix) {
                    let rest = &line[i + prefix.len()..];
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if name != from && modules.contains(&name) {
                        graph.entry(from.clone()).or_default().insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// A cycle in the graph, if there is one, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let mut cycles = Vec::new();
    for src in SOURCES {
        let root = workspace().join(src);
        if let Some(c) = cycle(&module_graph(&root)) {
            cycles.push(format!("{src}: {}", c.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    // Not vacuous: two modules naming each other are a cycle, a chain is not.
    let g = |edges: &[(&str, &str)]| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            m.entry((*a).into()).or_default().insert((*b).into());
        }
        m
    };
    assert!(cycle(&g(&[("http", "web"), ("web", "http")])).is_some());
    assert!(cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])).is_some());
    assert!(cycle(&g(&[("a", "b"), ("b", "c"), ("a", "c")])).is_none());
}

#[test]
fn every_sql_statement_lives_under_the_store() {
    // A query outside `engine/src/store/` is SQL the conformance suite does not see.
    let mut outside = Vec::new();
    for src in SOURCES {
        let root = workspace().join(src);
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for f in files {
            if f.starts_with(workspace().join("engine/src/store")) {
                continue;
            }
            let text = std::fs::read_to_string(&f).expect("read");
            let product = text.split("#[cfg(test)]").next().unwrap_or_default();
            for needle in ["sqlx::query", "query_as(", "query_scalar(", "query_as::<"] {
                if product.contains(needle) {
                    outside.push(format!("{} uses {needle}", f.display()));
                }
            }
        }
    }
    assert!(outside.is_empty(), "{outside:#?}");
    // Not vacuous: the store itself is full of them.
    let store = std::fs::read_to_string(workspace().join("engine/src/store/cases.rs")).expect("read");
    assert!(store.contains("sqlx::query"));
}

#[test]
fn no_source_file_is_over_six_hundred_lines() {
    // Tests aside (`tests.rs` and `tests/`): a longer file is two rooms that share a door.
    let mut long = Vec::new();
    for src in SOURCES {
        let mut files = Vec::new();
        rust_files(&workspace().join(src), &mut files);
        for f in files.iter().filter(|f| f.file_name().is_none_or(|n| n != "tests.rs")) {
            let lines = std::fs::read_to_string(f).expect("read").lines().count();
            if lines > 600 {
                long.push(format!("{}: {lines} lines", f.display()));
            }
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn every_crate_denies_long_functions() {
    // clippy.toml sets the bound (120 lines); each crate's root turns the lint on for its code
    // (tests aside), and the suite's clippy run makes a warning an error.
    let missing: Vec<&str> = SOURCES
        .iter()
        .filter(|src| {
            let root = workspace().join(src).join("lib.rs");
            !std::fs::read_to_string(root)
                .unwrap_or_default()
                .contains("#![warn(clippy::too_many_lines)]")
        })
        .copied()
        .collect();
    assert!(missing.is_empty(), "crates without the lint: {missing:?}");
    let toml = std::fs::read_to_string(workspace().join("clippy.toml")).expect("clippy.toml");
    assert!(toml.contains("too-many-lines-threshold = 120"), "{toml}");
}
