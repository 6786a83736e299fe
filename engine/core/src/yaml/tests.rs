//! The YAML reader's unit tests.

use super::*;

fn read(s: &str) -> Result<Document, ReadError> {
    read_str(s, Limits::default())
}

#[test]
fn positions_are_one_based() {
    let doc = read("a: 1\nb:\n  - x\n  - y\n").expect("valid");
    let b = doc.root.get("b").expect("b");
    assert_eq!(b.pos, Pos::new(3, 3));
    let NodeKind::Map(entries) = &doc.root.kind else {
        panic!("map")
    };
    assert_eq!(entries[1].0.pos, Pos::new(2, 1));
}

#[test]
fn duplicate_keys_are_reported_at_the_second() {
    let doc = read("a: 1\nx:\n  b: 2\n  b: 3\n").expect("valid");
    assert_eq!(doc.duplicates.len(), 1);
    let d = &doc.duplicates[0];
    assert_eq!((d.pos, d.first, d.path.as_str()), (Pos::new(4, 3), Pos::new(3, 3), "x"));
}

#[test]
fn billion_laughs_is_refused() {
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    assert!(matches!(read(&s), Err(ReadError::TooManyNodes { via_alias: true, .. })));
}

#[test]
fn deep_nesting_is_refused() {
    let s = "[".repeat(10_000) + &"]".repeat(10_000);
    let r = read(&s);
    assert!(matches!(r, Err(ReadError::TooDeep { .. })), "{r:?}");
    let s: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    assert!(matches!(read(&s), Err(ReadError::TooDeep { .. })));
}

#[test]
fn empty_and_comment_only_files_are_empty() {
    assert_eq!(read("").unwrap_err(), ReadError::Empty);
    assert_eq!(read("# nothing\n\n").unwrap_err(), ReadError::Empty);
}

#[test]
fn invalid_utf8_names_its_position() {
    let err = read_bytes(b"a: 1\nb: \xff\n", Limits::default()).unwrap_err();
    assert_eq!(err, ReadError::NotUtf8 { pos: Pos::new(2, 4) });
}

#[test]
fn scalars_keep_their_style() {
    let doc = read("a: 3\nb: '3'\nc: yes\n").expect("valid");
    let a = doc.root.get("a").and_then(|n| match &n.kind {
        NodeKind::Scalar(s) => s.as_int(),
        _ => None,
    });
    assert_eq!(a, Some(3));
    let b = doc.root.get("b").and_then(|n| match &n.kind {
        NodeKind::Scalar(s) => s.as_int(),
        _ => None,
    });
    assert_eq!(b, None);
    let c = doc.root.get("c").and_then(|n| match &n.kind {
        NodeKind::Scalar(s) => s.as_bool(),
        _ => None,
    });
    assert_eq!(c, None);
}
