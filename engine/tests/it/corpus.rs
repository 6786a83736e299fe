//! The broken-definitions corpus: every file in `tests/corpus/` is dropped into a copy of the
//! bundled workflows and must produce exactly the diagnostics its header lists.
//!
//! Header lines at the top of each file:
//! ```text
//! # target: cases/broken.yaml      where the file goes (replacing a bundled file of that name)
//! # expect: 12:5 Y0201, 20:11 Y0301   every diagnostic in the file: line:column code, any order
//! # with: calendars, cases/comprehensive_intake.yaml   optional: copy only these bundled paths
//! ```
//! `with` keeps a file that replaces the organisation independent of the bundled case types.
//! For YAML targets the header stays in the file (it is a comment), so line numbers count it.
//! For template targets (`.hbs`) the header is removed and line numbers count from the content.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use yimen_engine::load::{LoadOptions, load_dir};
use yimen_engine::yaml::Limits;

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

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

fn options() -> LoadOptions {
    LoadOptions {
        // Before November, so the bundled calendar's "next year missing" warning stays quiet.
        today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
        limits: Limits::default(),
    }
}

struct Case {
    name: String,
    target: String,
    with: Option<Vec<String>>,
    expect: Vec<String>,
    content: String,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("corpus files are UTF-8");
    let mut target = None;
    let mut with = None;
    let mut expect = Vec::new();
    let mut header_lines = 0;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# target: ") {
            target = Some(t.trim().to_owned());
        } else if let Some(w) = line.strip_prefix("# with: ") {
            with = Some(
                w.split(',')
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty())
                    .collect(),
            );
        } else if let Some(e) = line.strip_prefix("# expect: ") {
            expect.extend(e.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()));
        } else if !line.starts_with('#') {
            break;
        }
        header_lines += 1;
    }
    let target = target.unwrap_or_else(|| panic!("{}: no `# target:` line", path.display()));
    let content = if target.ends_with(".hbs") {
        text.lines().skip(header_lines).map(|l| format!("{l}\n")).collect()
    } else {
        text
    };
    Case {
        name: path.file_name().expect("name").to_string_lossy().into_owned(),
        target,
        with,
        expect,
        content,
    }
}

fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    match &case.with {
        None => copy_dir(&bundled(), &root),
        Some(paths) => {
            for p in paths {
                let from = bundled().join(p);
                let to = root.join(p);
                if from.is_dir() {
                    copy_dir(&from, &to);
                } else {
                    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                    std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
                }
            }
        }
    }
    let target = root.join(&case.target);
    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    std::fs::write(&target, &case.content).expect("write");
    let (_, diags) = load_dir(&root, &options());
    let all = diags.sorted();
    let mut actual: Vec<String> = all
        .iter()
        .filter(|d| d.file == target)
        .map(|d| format!("{}:{} {}", d.line, d.column, d.code))
        .collect();
    let elsewhere: Vec<String> = all.iter().filter(|d| d.file != target).map(|d| d.to_string()).collect();
    let mut expected = case.expect.clone();
    actual.sort();
    expected.sort();
    if actual != expected || !elsewhere.is_empty() {
        let shown: Vec<String> = all.iter().map(|d| d.to_string()).collect();
        return Err(format!(
            "{}: expected {expected:?}, found {actual:?}\n{}",
            case.name,
            shown.join("\n")
        ));
    }
    Ok(())
}

#[test]
fn every_corpus_file_gives_exactly_its_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 50,
        "the corpus must hold at least 50 broken definitions, found {}",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .map(|f| parse_case(f))
        .filter_map(|c| check(&c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus files failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_corpus_file_expects_at_least_one_diagnostic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    for f in std::fs::read_dir(&dir).expect("corpus dir") {
        let case = parse_case(&f.expect("entry").path());
        assert!(
            !case.expect.is_empty(),
            "{} expects nothing, so it tests nothing",
            case.name
        );
    }
}

#[test]
fn the_bundled_workflows_are_clean() {
    let (_, diags) = load_dir(&bundled(), &options());
    let all: Vec<String> = diags.sorted().iter().map(|d| d.to_string()).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
}
