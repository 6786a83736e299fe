//! Hostile input: each gets one clear error within bounded time and memory, and no input file
//! can make the loader panic.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use proptest::prelude::*;
use yimen_engine::load::{LoadOptions, load_dir};
use yimen_engine::yaml::{Limits, read_bytes};

fn options() -> LoadOptions {
    LoadOptions {
        today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
        limits: Limits::default(),
    }
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Drops `bytes` into a copy of the bundled workflows at `rel` and returns the codes reported for it.
fn codes_for(rel: &str, bytes: &[u8]) -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    copy_dir(&bundled(), &root);
    let target = root.join(rel);
    std::fs::write(&target, bytes).expect("write");
    let (_, diags) = load_dir(&root, &options());
    diags
        .sorted()
        .into_iter()
        .filter(|d| d.file == target)
        .map(|d| d.code)
        .collect()
}

#[test]
fn a_twenty_megabyte_file_is_refused_without_being_parsed() {
    let mut big = b"id: big\nname: x\ndescription: \"".to_vec();
    big.resize(20 * 1024 * 1024, b'a');
    let started = Instant::now();
    assert_eq!(codes_for("cases/big.yaml", &big), vec!["Y0103"]);
    // Generous bound: the point is that it does not parse 20 MB, which would take far longer.
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn invalid_utf8_is_one_error() {
    assert_eq!(
        codes_for("cases/latin1.yaml", b"id: latin1\nname: caf\xe9\n"),
        vec!["Y0102"]
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_one_error() {
    let flow = "x: ".to_owned() + &"[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(codes_for("cases/deep.yaml", flow.as_bytes()), vec!["Y0106"]);
    let block: String = (0..10_000)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .take(500)
        .collect();
    assert_eq!(codes_for("cases/deep2.yaml", block.as_bytes()), vec!["Y0106"]);
}

#[test]
fn a_billion_laughs_is_one_error() {
    let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = Instant::now();
    assert_eq!(codes_for("cases/lol.yaml", s.as_bytes()), vec!["Y0107"]);
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn a_calendar_that_does_not_reach_a_deadline_is_an_error_at_the_duration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    copy_dir(&bundled(), &root);
    let cal = std::fs::read_to_string(root.join("calendars/cn-mainland.yaml")).expect("calendar");
    let strict = cal[..cal.find("\nprovisional:").expect("provisional rule")].replace("id: cn-mainland", "id: strict");
    std::fs::write(root.join("calendars/strict.yaml"), strict).expect("write");
    let case = std::fs::read_to_string(root.join("cases/labour_dispute.yaml"))
        .expect("case")
        .replace("tier: district\n", "tier: district\ncalendar: strict\n")
        .replace("budget: 45 days", "budget: 8 months");
    let target = root.join("cases/labour_dispute.yaml");
    std::fs::write(&target, case).expect("write");
    let (_, diags) = load_dir(&root, &options());
    let found: Vec<String> = diags
        .sorted()
        .into_iter()
        .filter(|d| d.file == target)
        .map(|d| format!("{}:{} {} {}", d.line, d.column, d.code, d.path))
        .collect();
    let source = std::fs::read_to_string(&target).expect("read");
    let line = source
        .lines()
        .position(|l| l.contains("budget: 8 months"))
        .expect("line")
        + 1;
    assert_eq!(found, vec![format!("{line}:11 Y0702 sla.budget")]);
}

#[test]
fn november_warns_that_next_year_is_missing() {
    let late = LoadOptions {
        today: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date").into(),
        limits: Limits::default(),
    };
    let (_, diags) = load_dir(&bundled(), &late);
    let codes: Vec<&str> = diags.sorted().iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["Y0703"]);
}

#[test]
fn the_date_is_read_in_the_calendars_zone() {
    // 16:30 UTC on 31 October is already 1 November in the calendar's zone (UTC+8): the
    // November warning is due, though the UTC date is still October.
    let at = |h: u32, m: u32| {
        NaiveDate::from_ymd_opt(2026, 10, 31)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("instant")
            .and_utc()
    };
    let codes = |today| {
        let opts = LoadOptions {
            today,
            limits: Limits::default(),
        };
        let (_, diags) = load_dir(&bundled(), &opts);
        diags.sorted().iter().map(|d| d.code).collect::<Vec<_>>()
    };
    assert_eq!(codes(yimen_engine::Today::At(at(16, 30))), vec!["Y0703"]);
    assert!(codes(yimen_engine::Today::At(at(15, 30))).is_empty());
}

#[test]
fn a_satisfaction_rule_that_would_count_nobody_is_refused() {
    let bundled_text = std::fs::read_to_string(bundled().join("schedules.yaml")).expect("read");
    let misspelt = bundled_text.replace(
        "satisfied: [satisfied, basically_satisfied]",
        "satisfied: [satisfied, basicaly_satisfied]",
    );
    assert_ne!(misspelt, bundled_text, "the bundled rule has changed; update this test");
    assert_eq!(codes_for("schedules.yaml", misspelt.as_bytes()), vec!["Y0802"]);
    let no_field = bundled_text.replace("field: satisfaction", "field: verdict");
    assert_eq!(codes_for("schedules.yaml", no_field.as_bytes()), vec!["Y0802"]);
    assert!(codes_for("schedules.yaml", bundled_text.as_bytes()).is_empty());
}

/// Cases per property: the default, or `YIMEN_FUZZ_CASES` for a long run by hand
/// (`YIMEN_FUZZ_CASES=100000 cargo nextest run -p yimen-engine --test hostile --release`).
fn fuzz_cases(default: u32) -> u32 {
    std::env::var("YIMEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases(512)))]

    /// Arbitrary bytes never panic the reader.
    #[test]
    fn the_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_bytes(&bytes, Limits::default());
    }

    /// YAML-like noise never panics the reader.
    #[test]
    fn yaml_like_text_never_panics(text in "[a-z:\\-\\[\\]{}&*!|>'\" \n#,?%@`]{0,400}") {
        let _ = read_bytes(text.as_bytes(), Limits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases(48)))]

    /// A bundled case type with a random span deleted or duplicated never panics the whole loader,
    /// and whatever is reported carries a code and a position inside the file.
    #[test]
    fn mutated_workflows_never_panic(start in 0usize..6000, len in 0usize..200, dup in any::<bool>()) {
        let source = std::fs::read(bundled().join("cases/labour_dispute.yaml")).expect("read");
        let s = start.min(source.len());
        let e = (s + len).min(source.len());
        let mut mutated = source[..s].to_vec();
        if dup {
            mutated.extend_from_slice(&source[s..e]);
            mutated.extend_from_slice(&source[s..]);
        } else {
            mutated.extend_from_slice(&source[e..]);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("workflows");
        copy_dir(&bundled(), &root);
        std::fs::write(root.join("cases/labour_dispute.yaml"), &mutated).expect("write");
        let (_, diags) = load_dir(&root, &options());
        let lines = mutated.iter().filter(|b| **b == b'\n').count() as u32 + 2;
        for d in diags.as_slice() {
            prop_assert!(d.code.starts_with('Y') && d.line >= 1 && d.column >= 1, "{}", d);
            if d.file.ends_with("labour_dispute.yaml") {
                prop_assert!(d.line <= lines, "{}", d);
            }
        }
    }
}
