//! Guard expressions: a small, safe, side-effect-free language over a case's fields.
//!
//! `amount >= 50000 && category in ["wages", "injury"] && has(employer)`
//!
//! Why our own and not CEL or Rhai: a guard must be checked against the case type when the
//! workflow is validated — every name must be a declared field, every comparison must make sense
//! for the field's type, an enum field may only be compared with its declared values — and each
//! mistake must point at its column. A forty-line grammar lets us do all of that with exact
//! positions and no dependency. Cost is bounded by construction: no loops, no recursion in the
//! language, at most [`MAX_LEN`] characters and [`MAX_NODES`] syntax nodes, so evaluation is
//! linear in the size of the guard.
//!
//! Grammar (lowest precedence first):
//! ```text
//! or      := and ( "||" and )*
//! and     := not ( "&&" not )*
//! not     := "!" not | cmp
//! cmp     := sum ( ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum )?
//! sum     := product ( ("+" | "-") product )*
//! product := unary ( ("*" | "/") unary )*
//! unary   := "-" unary | primary
//! primary := number | string | "true" | "false" | "null" | list | call | name | "(" or ")"
//! name    := ident ( "." ident )?        // a field, or case.<attribute>
//! call    := ident "(" or ( "," or )* ")" // has(field), len(x)
//! list    := "[" ( or ( "," or )* )? "]"
//! ```

mod check;
mod eval;
mod parse;

pub use check::{ExprType, Names, check};
pub use eval::{EvalError, Value, eval};
pub use parse::{BinOp, Expr, ExprKind, ParseError, parse};

/// The longest guard accepted, in characters.
pub const MAX_LEN: usize = 1000;
/// The most syntax nodes in one guard.
pub const MAX_NODES: usize = 200;
/// The deepest nesting of parentheses and operators.
pub const MAX_DEPTH: usize = 32;
