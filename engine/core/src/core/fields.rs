//! Field values: parsing and checking what a clerk or a client sends against the field's type.

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

use super::reject::{FieldProblem, Rejection};
use crate::model::case_type::{Field, FieldType};

/// The longest text any text-like field may hold when it declares no `max_length`.
pub const DEFAULT_MAX_TEXT: usize = 4000;

fn invalid(field: &str, code: &str, problem: impl Into<String>) -> FieldProblem {
    FieldProblem::new(field, code, problem)
}

/// Whether `s` is a mainland mobile (11 digits from 1) or fixed-line number (0 + area code + 7–8 digits).
pub fn is_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    (digits.len() == 11 && digits.starts_with('1')) || (digits.starts_with('0') && (10..=12).contains(&digits.len()))
}

/// Whether `s` is an 18-character resident identity number with a valid date and checksum
/// (GB 11643-1999, ISO 7064 MOD 11-2).
pub fn is_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let birth = &s[6..14];
    if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = *b"10X98765432";
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    b[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

/// Checks one value against its field; returns the value to store (normalised).
pub fn check_value(id: &str, f: &Field, v: &Value) -> Result<Value, FieldProblem> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let text = |v: &Value| -> Result<String, FieldProblem> {
        v.as_str()
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| invalid(id, "not_text", "must be a text"))
    };
    match f.ty {
        FieldType::Attachment => {
            // One reference or a list of them; stored as a list without repeats.
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                one => vec![one],
            };
            let mut refs: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().map(str::trim).unwrap_or_default();
                if !crate::attachment::is_reference(s) {
                    return Err(invalid(id, "files", "must name uploaded files"));
                }
                if !refs.iter().any(|r| r.as_str() == Some(s)) {
                    refs.push(Value::String(s.to_owned()));
                }
            }
            if refs.len() > f.file_limit() {
                return Err(
                    invalid(id, "too_many_files", format!("holds at most {} files", f.file_limit()))
                        .limit(f.file_limit().to_string()),
                );
            }
            Ok(if refs.is_empty() {
                Value::Null
            } else {
                Value::Array(refs)
            })
        }
        FieldType::Text | FieldType::Person => {
            let s = text(v)?;
            let max = f.max_length.map_or(DEFAULT_MAX_TEXT, |m| m as usize);
            if s.chars().count() > max {
                return Err(invalid(id, "too_long", format!("is longer than {max} characters")).limit(max.to_string()));
            }
            if f.ty == FieldType::Person && s.is_empty() {
                return Err(invalid(id, "empty", "must not be empty"));
            }
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(invalid(id, "control", "contains control characters"));
            }
            // A name is one line (it is shown in lists and message subjects).
            if f.ty == FieldType::Person && s.chars().any(char::is_control) {
                return Err(invalid(id, "one_line", "must be on one line"));
            }
            Ok(Value::String(s))
        }
        FieldType::Phone => {
            let s = text(v)?;
            if !is_phone(&s) {
                return Err(invalid(
                    id,
                    "phone",
                    "is not a mainland phone number (11 digits from 1, or 0 and an area code)",
                ));
            }
            Ok(Value::String(s.replace([' ', '-'], "")))
        }
        FieldType::IdNumber => {
            let s = text(v)?.to_ascii_uppercase();
            if !is_id_number(&s) {
                return Err(invalid(
                    id,
                    "id_number",
                    "is not a valid 18-character resident identity number",
                ));
            }
            Ok(Value::String(s))
        }
        FieldType::Money | FieldType::Integer => check_number(id, f, v),
        FieldType::Date => {
            let s = text(v)?;
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| invalid(id, "date", "is not a date (YYYY-MM-DD)"))?;
            Ok(Value::String(s))
        }
        FieldType::Enum => {
            let s = text(v)?;
            let values = f.values.as_ref();
            if !values.is_some_and(|vals| vals.contains_key(&s)) {
                let allowed: Vec<&str> = values
                    .map(|v| v.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                return Err(invalid(id, "choice", format!("must be one of {}", allowed.join(", "))));
            }
            Ok(Value::String(s))
        }
        FieldType::Boolean => v
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| invalid(id, "boolean", "must be true or false")),
    }
}

/// A money amount or an integer: a number, whole or in fen, within the field's range.
fn check_number(id: &str, f: &Field, v: &Value) -> Result<Value, FieldProblem> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
    .ok_or_else(|| invalid(id, "number", "must be a number"))?;
    if f.ty == FieldType::Integer && n.fract() != 0.0 {
        return Err(invalid(id, "whole", "must be a whole number"));
    }
    if f.ty == FieldType::Money && ((n * 100.0).round() - n * 100.0).abs() > 1e-6 {
        return Err(invalid(id, "fen", "has more than two decimals (fen)"));
    }
    if f.min.is_some_and(|m| n < m) || f.max.is_some_and(|m| n > m) {
        let range = match (f.min, f.max) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
            (Some(lo), None) => format!("≥ {lo}"),
            (None, Some(hi)) => format!("≤ {hi}"),
            (None, None) => String::new(),
        };
        return Err(invalid(id, "range", format!("is out of range ({range})")).limit(range));
    }
    if n.abs() > 1e15 {
        return Err(invalid(id, "too_large", "is too large"));
    }
    let num = if f.ty == FieldType::Integer {
        Number::from(n as i64)
    } else {
        Number::from_f64(n).ok_or_else(|| invalid(id, "number", "must be a number"))?
    };
    Ok(Value::Number(num))
}

/// Checks a set of values against the case type's fields: unknown fields are refused, every
/// value is checked and normalised; every problem is reported at once.
pub fn check_values(
    defs: &indexmap::IndexMap<String, Field>,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>, Rejection> {
    let (out, problems) = checked(defs, given);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Rejection::Fields(problems))
    }
}

/// The values that pass, normalised, and the problems of those that do not.
pub fn checked(
    defs: &indexmap::IndexMap<String, Field>,
    given: &Map<String, Value>,
) -> (Map<String, Value>, Vec<FieldProblem>) {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for (k, v) in given {
        let Some(f) = defs.get(k) else {
            problems.push(invalid(k, "unknown_field", "is not a field of this case type"));
            continue;
        };
        match check_value(k, f, v) {
            Ok(v) if !v.is_null() => {
                out.insert(k.clone(), v);
            }
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    in_order(defs, &mut problems);
    (out, problems)
}

/// `problems` in the order the case type declares its fields (as a form shows them).
pub fn in_order(defs: &indexmap::IndexMap<String, Field>, problems: &mut [FieldProblem]) {
    problems.sort_by_key(|p| defs.get_index_of(&p.field).unwrap_or(usize::MAX));
}

/// The problem of a required field left empty.
pub fn required(field: &str) -> FieldProblem {
    FieldProblem::new(field, "required", "is required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_numbers_are_checksummed() {
        // A number built for the test: region 110101, born 1990-03-07, sequence 123, checksum 3.
        assert!(is_id_number("110101199003071233"));
        assert!(!is_id_number("110101199003071235"));
        assert!(!is_id_number("110101199013071233"), "month 13");
        assert!(!is_id_number("11010119900307123"));
    }

    #[test]
    fn phones() {
        assert!(is_phone("13800138000"));
        assert!(is_phone("0580-2012345"));
        assert!(!is_phone("2380013800"));
        assert!(!is_phone("1380013800a"));
    }
}
