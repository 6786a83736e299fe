//! Evaluation of checked guards. Cost is linear in the guard's size; nothing here allocates
//! more than the guard's own lists.

use super::parse::{BinOp, Expr, ExprKind};

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An empty field or `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (money in yuan, integers).
    Number(f64),
    /// A text, an enum value, or a date as `YYYY-MM-DD` (which orders correctly as text).
    Text(String),
    /// A list.
    List(Vec<Value>),
}

/// Why a guard could not be evaluated; the guard then counts as false and the clerk is told why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A field the guard needs is empty.
    #[error("the field `{0}` is empty")]
    Empty(String),
    /// Types that the check would have refused (the definition was not checked).
    #[error("the guard compares values of different kinds")]
    Type,
    /// Division by zero.
    #[error("the guard divides by zero")]
    DivideByZero,
}

/// Evaluates `expr` with `lookup` giving the value of a field (`None` scope) or a case attribute
/// (`Some("case")`).
pub fn eval(expr: &Expr, lookup: &dyn Fn(Option<&str>, &str) -> Value) -> Result<Value, EvalError> {
    Ok(match &expr.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Number(n) => Value::Number(*n),
        ExprKind::Str(s) => Value::Text(s.clone()),
        ExprKind::List(items) => Value::List(items.iter().map(|i| eval(i, lookup)).collect::<Result<_, _>>()?),
        ExprKind::Name { scope, name } => {
            let scope = scope.as_deref().filter(|s| *s != "fields");
            lookup(scope, name)
        }
        ExprKind::Call { name, args } => match (name.as_str(), args.first()) {
            ("has", Some(arg)) => Value::Bool(eval(arg, lookup)? != Value::Null),
            ("len", Some(arg)) => match eval(arg, lookup)? {
                Value::Text(s) => Value::Number(s.chars().count() as f64),
                Value::List(l) => Value::Number(l.len() as f64),
                Value::Null => Value::Number(0.0),
                _ => return Err(EvalError::Type),
            },
            _ => return Err(EvalError::Type),
        },
        ExprKind::Not(inner) => match eval(inner, lookup)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => return Err(EvalError::Type),
        },
        ExprKind::Neg(inner) => match eval(inner, lookup)? {
            Value::Number(n) => Value::Number(-n),
            Value::Null => return Err(empty(inner)),
            _ => return Err(EvalError::Type),
        },
        ExprKind::Binary(op, l, r) => binary(*op, l, r, lookup)?,
    })
}

fn empty(e: &Expr) -> EvalError {
    match &e.kind {
        ExprKind::Name { name, .. } => EvalError::Empty(name.clone()),
        _ => EvalError::Type,
    }
}

fn binary(op: BinOp, l: &Expr, r: &Expr, lookup: &dyn Fn(Option<&str>, &str) -> Value) -> Result<Value, EvalError> {
    // Short-circuit the logical operators so `has(x) && x > 1` never touches an empty `x`.
    if matches!(op, BinOp::And | BinOp::Or) {
        let lv = eval(l, lookup)?;
        let Value::Bool(lb) = lv else {
            return Err(EvalError::Type);
        };
        if (op == BinOp::And && !lb) || (op == BinOp::Or && lb) {
            return Ok(Value::Bool(lb));
        }
        return match eval(r, lookup)? {
            Value::Bool(rb) => Ok(Value::Bool(rb)),
            _ => Err(EvalError::Type),
        };
    }
    let lv = eval(l, lookup)?;
    let rv = eval(r, lookup)?;
    match op {
        BinOp::Eq => Ok(Value::Bool(lv == rv)),
        BinOp::Ne => Ok(Value::Bool(lv != rv)),
        BinOp::In => match rv {
            Value::List(items) => Ok(Value::Bool(items.contains(&lv))),
            _ => Err(EvalError::Type),
        },
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (&lv, &rv) {
                (Value::Number(a), Value::Number(b)) => a.partial_cmp(b).ok_or(EvalError::Type)?,
                (Value::Text(a), Value::Text(b)) => a.cmp(b),
                (Value::Null, _) => return Err(empty(l)),
                (_, Value::Null) => return Err(empty(r)),
                _ => return Err(EvalError::Type),
            };
            Ok(Value::Bool(match op {
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            let (a, b) = match (&lv, &rv) {
                (Value::Number(a), Value::Number(b)) => (*a, *b),
                (Value::Null, _) => return Err(empty(l)),
                (_, Value::Null) => return Err(empty(r)),
                _ => return Err(EvalError::Type),
            };
            Ok(Value::Number(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                _ => {
                    if b == 0.0 {
                        return Err(EvalError::DivideByZero);
                    }
                    a / b
                }
            }))
        }
        BinOp::And | BinOp::Or => Err(EvalError::Type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn run(src: &str) -> Result<Value, EvalError> {
        let e = parse(src).expect("parses");
        eval(&e, &|scope, name| match (scope, name) {
            (None, "amount") => Value::Number(60000.0),
            (None, "category") => Value::Text("wages".into()),
            (Some("case"), "tier") => Value::Text("town".into()),
            _ => Value::Null,
        })
    }

    #[test]
    fn evaluates_conditions() {
        assert_eq!(run("amount >= 50000 && category in [\"wages\"]"), Ok(Value::Bool(true)));
        assert_eq!(run("case.tier == \"district\""), Ok(Value::Bool(false)));
        assert_eq!(run("has(employer) && employer > 1"), Ok(Value::Bool(false)));
        assert_eq!(run("employer > 1"), Err(EvalError::Empty("employer".into())));
        assert_eq!(run("amount / 0 > 1"), Err(EvalError::DivideByZero));
    }
}
