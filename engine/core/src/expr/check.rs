//! Static checking of guards against the case type's fields.

use std::collections::BTreeMap;

use super::parse::{BinOp, Expr, ExprKind};
use crate::diag::suggest;

/// The type of a guard sub-expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprType {
    /// true / false.
    Bool,
    /// Integers and money.
    Number,
    /// Free text and text-like fields (names, phones, ID numbers).
    Text,
    /// A date.
    Date,
    /// An enum field with its allowed values.
    Enum(Vec<String>),
    /// A list literal of the given element type.
    List(Box<ExprType>),
    /// `null`.
    Null,
}

impl ExprType {
    fn describe(&self) -> String {
        match self {
            ExprType::Bool => "a boolean".into(),
            ExprType::Number => "a number".into(),
            ExprType::Text => "a text".into(),
            ExprType::Date => "a date".into(),
            ExprType::Enum(_) => "an enum value".into(),
            ExprType::List(_) => "a list".into(),
            ExprType::Null => "null".into(),
        }
    }
}

/// The names a guard may use: the case type's fields and the case's attributes.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Fields by id.
    pub fields: BTreeMap<String, ExprType>,
}

impl Names {
    /// The attributes every case has, usable as `case.<name>`.
    pub fn case_attributes() -> BTreeMap<&'static str, ExprType> {
        let tiers = vec!["district".to_owned(), "town".to_owned(), "community".to_owned()];
        let kinds = vec!["ordinary".to_owned(), "professional".to_owned(), "major".to_owned()];
        BTreeMap::from([
            ("channel", ExprType::Text),
            ("unit", ExprType::Text),
            ("department", ExprType::Text),
            ("tier", ExprType::Enum(tiers)),
            ("kind", ExprType::Enum(kinds)),
            ("visits", ExprType::Number),
            ("supervision_level", ExprType::Number),
            ("extensions", ExprType::Number),
        ])
    }
}

/// A problem found by [`check`], at a column of the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// Column, from 1.
    pub col: u32,
    /// `Y0502` for unknown names, `Y0503` for type errors.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// Checks that `expr` is a well-typed boolean condition over `names`; returns every problem.
pub fn check(expr: &Expr, names: &Names) -> Vec<CheckError> {
    let mut errs = Vec::new();
    if let Some(t) = type_of(expr, names, &mut errs)
        && t != ExprType::Bool
        && errs.is_empty()
    {
        errs.push(CheckError {
            col: expr.col,
            code: "Y0503",
            message: format!(
                "a guard must be a condition (true or false), but this is {}",
                t.describe()
            ),
            hint: Some("compare it with something, e.g. `amount > 0`".into()),
        });
    }
    errs
}

fn err(errs: &mut Vec<CheckError>, col: u32, code: &'static str, message: String, hint: Option<String>) {
    errs.push(CheckError {
        col,
        code,
        message,
        hint,
    });
}

/// A call's type: the function's result when its arguments have the types it takes.
fn call_type(e: &Expr, name: &str, args: &[Expr], names: &Names, errs: &mut Vec<CheckError>) -> Option<ExprType> {
    match name {
        "has" => {
            match args {
                [
                    Expr {
                        kind: ExprKind::Name { .. },
                        ..
                    },
                ] => {
                    type_of(&args[0], names, errs)?;
                }
                _ => {
                    err(
                        errs,
                        e.col,
                        "Y0503",
                        "`has` takes one field name, e.g. `has(employer)`".into(),
                        None,
                    );
                    return None;
                }
            }
            Some(ExprType::Bool)
        }
        "len" => {
            if args.len() != 1 {
                err(errs, e.col, "Y0503", "`len` takes one argument".into(), None);
                return None;
            }
            match type_of(&args[0], names, errs)? {
                ExprType::Text | ExprType::List(_) => Some(ExprType::Number),
                t => {
                    err(
                        errs,
                        args[0].col,
                        "Y0503",
                        format!("`len` needs a text or a list, not {}", t.describe()),
                        None,
                    );
                    None
                }
            }
        }
        other => {
            err(
                errs,
                e.col,
                "Y0503",
                format!("unknown function `{other}`"),
                suggest(other, ["has", "len"]).or_else(|| Some("the functions are `has` and `len`".into())),
            );
            None
        }
    }
}

/// A list's type: a list of its items' one type.
fn list_type(items: &[Expr], names: &Names, errs: &mut Vec<CheckError>) -> Option<ExprType> {
    let mut elem = None;
    for it in items {
        let t = type_of(it, names, errs)?;
        match &elem {
            None => elem = Some(t),
            Some(prev) if *prev == t => {}
            Some(prev) => {
                err(
                    errs,
                    it.col,
                    "Y0503",
                    format!(
                        "a list holds values of one type; this is {} after {}",
                        t.describe(),
                        prev.describe()
                    ),
                    None,
                );
                return None;
            }
        }
    }
    Some(ExprType::List(Box::new(elem.unwrap_or(ExprType::Null))))
}

fn type_of(e: &Expr, names: &Names, errs: &mut Vec<CheckError>) -> Option<ExprType> {
    match &e.kind {
        ExprKind::Null => Some(ExprType::Null),
        ExprKind::Bool(_) => Some(ExprType::Bool),
        ExprKind::Number(_) => Some(ExprType::Number),
        ExprKind::Str(_) => Some(ExprType::Text),
        ExprKind::List(items) => list_type(items, names, errs),
        ExprKind::Name { scope: None, name } => match names.fields.get(name) {
            Some(t) => Some(t.clone()),
            None => {
                err(
                    errs,
                    e.col,
                    "Y0502",
                    format!("the guard names `{name}`, which is not a field of this case type"),
                    suggest(name, names.fields.keys().map(String::as_str))
                        .or_else(|| Some("declare it under `fields:`".into())),
                );
                None
            }
        },
        ExprKind::Name {
            scope: Some(scope),
            name,
        } => {
            if scope == "fields" {
                let inner = Expr {
                    kind: ExprKind::Name {
                        scope: None,
                        name: name.clone(),
                    },
                    col: e.col,
                };
                return type_of(&inner, names, errs);
            }
            if scope != "case" {
                err(
                    errs,
                    e.col,
                    "Y0502",
                    format!("unknown name `{scope}.{name}`"),
                    Some("use a field's id, `fields.<id>` or `case.<attribute>`".into()),
                );
                return None;
            }
            let attrs = Names::case_attributes();
            match attrs.get(name.as_str()) {
                Some(t) => Some(t.clone()),
                None => {
                    err(
                        errs,
                        e.col,
                        "Y0502",
                        format!("a case has no attribute `{name}`"),
                        suggest(name, attrs.keys().copied()),
                    );
                    None
                }
            }
        }
        ExprKind::Call { name, args } => call_type(e, name, args, names, errs),
        ExprKind::Not(inner) => {
            let t = type_of(inner, names, errs)?;
            if t != ExprType::Bool {
                err(
                    errs,
                    inner.col,
                    "Y0503",
                    format!("`!` needs a condition, not {}", t.describe()),
                    None,
                );
                return None;
            }
            Some(ExprType::Bool)
        }
        ExprKind::Neg(inner) => {
            let t = type_of(inner, names, errs)?;
            if t != ExprType::Number {
                err(
                    errs,
                    inner.col,
                    "Y0503",
                    format!("`-` needs a number, not {}", t.describe()),
                    None,
                );
                return None;
            }
            Some(ExprType::Number)
        }
        ExprKind::Binary(op, l, r) => {
            let lt = type_of(l, names, errs);
            let rt = type_of(r, names, errs);
            let (lt, rt) = (lt?, rt?);
            binary(*op, e, l, &lt, r, &rt, errs)
        }
    }
}

fn binary(
    op: BinOp,
    e: &Expr,
    l: &Expr,
    lt: &ExprType,
    r: &Expr,
    rt: &ExprType,
    errs: &mut Vec<CheckError>,
) -> Option<ExprType> {
    match op {
        BinOp::And | BinOp::Or => {
            for (side, t) in [(l, lt), (r, rt)] {
                if *t != ExprType::Bool {
                    err(
                        errs,
                        side.col,
                        "Y0503",
                        format!("`{}` joins conditions, but this is {}", op.symbol(), t.describe()),
                        None,
                    );
                    return None;
                }
            }
            Some(ExprType::Bool)
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            for (side, t) in [(l, lt), (r, rt)] {
                if *t != ExprType::Number {
                    err(
                        errs,
                        side.col,
                        "Y0503",
                        format!("`{}` needs numbers, but this is {}", op.symbol(), t.describe()),
                        None,
                    );
                    return None;
                }
            }
            Some(ExprType::Number)
        }
        BinOp::Eq | BinOp::Ne => {
            comparable(l, lt, r, rt, errs)?;
            Some(ExprType::Bool)
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ok = matches!(
                (lt, rt),
                (ExprType::Number, ExprType::Number) | (ExprType::Date, ExprType::Date)
            ) || date_vs_literal(lt, r)
                || date_vs_literal(rt, l);
            if !ok {
                err(
                    errs,
                    e.col,
                    "Y0503",
                    format!(
                        "`{}` compares numbers or dates, not {} with {}",
                        op.symbol(),
                        lt.describe(),
                        rt.describe()
                    ),
                    None,
                );
                return None;
            }
            Some(ExprType::Bool)
        }
        BinOp::In => {
            let ExprType::List(elem) = rt else {
                err(
                    errs,
                    r.col,
                    "Y0503",
                    format!("`in` needs a list on its right, not {}", rt.describe()),
                    Some("write `x in [\"a\", \"b\"]`".into()),
                );
                return None;
            };
            if let ExprKind::List(items) = &r.kind {
                for it in items {
                    comparable(l, lt, it, elem, errs)?;
                }
            }
            Some(ExprType::Bool)
        }
    }
}

fn date_vs_literal(t: &ExprType, other: &Expr) -> bool {
    *t == ExprType::Date
        && matches!(&other.kind, ExprKind::Str(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
}

/// Whether `==` between these makes sense; enum fields only compare with their own values.
fn comparable(l: &Expr, lt: &ExprType, r: &Expr, rt: &ExprType, errs: &mut Vec<CheckError>) -> Option<()> {
    match (lt, rt) {
        (ExprType::Null, _) | (_, ExprType::Null) => Some(()),
        (ExprType::Enum(values), ExprType::Text) | (ExprType::Text, ExprType::Enum(values)) => {
            let lit = if matches!(lt, ExprType::Enum(_)) { r } else { l };
            if let ExprKind::Str(s) = &lit.kind
                && !values.contains(s)
            {
                err(
                    errs,
                    lit.col,
                    "Y0503",
                    format!("\"{s}\" is not one of this enum field's values"),
                    suggest(s, values.iter().map(String::as_str)),
                );
                return None;
            }
            Some(())
        }
        (ExprType::Date, ExprType::Text) if date_vs_literal(lt, r) => Some(()),
        (ExprType::Text, ExprType::Date) if date_vs_literal(rt, l) => Some(()),
        (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => Some(()),
        (a, b) => {
            err(
                errs,
                r.col,
                "Y0503",
                format!("cannot compare {} with {}", a.describe(), b.describe()),
                None,
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn names() -> Names {
        Names {
            fields: BTreeMap::from([
                ("amount".to_owned(), ExprType::Number),
                ("employer".to_owned(), ExprType::Text),
                (
                    "category".to_owned(),
                    ExprType::Enum(vec!["wages".into(), "injury".into()]),
                ),
                ("filed_on".to_owned(), ExprType::Date),
            ]),
        }
    }

    fn errors(src: &str) -> Vec<(u32, &'static str)> {
        let e = parse(src).expect("parses");
        check(&e, &names()).into_iter().map(|e| (e.col, e.code)).collect()
    }

    #[test]
    fn good_guards_pass() {
        for g in [
            "amount >= 50000 && has(employer)",
            "category in [\"wages\", \"injury\"]",
            "category == \"wages\" || case.tier == \"district\"",
            "filed_on < \"2026-01-01\"",
            "len(employer) > 2 && !(amount == null)",
            "fields.amount * 2 > 10",
        ] {
            assert_eq!(errors(g), vec![], "{g}");
        }
    }

    #[test]
    fn mistakes_point_at_their_column() {
        assert_eq!(errors("amout > 1"), vec![(1, "Y0502")]);
        assert_eq!(errors("category == \"wage\""), vec![(13, "Y0503")]);
        assert_eq!(errors("employer > 3"), vec![(1, "Y0503")]);
        assert_eq!(errors("amount + 1"), vec![(1, "Y0503")]);
        assert_eq!(errors("case.teir == \"town\""), vec![(1, "Y0502")]);
        assert_eq!(errors("size(employer) > 1"), vec![(1, "Y0503")]);
    }
}
