//! Lexer and recursive-descent parser for guards, with depth and size limits.

use super::{MAX_DEPTH, MAX_LEN, MAX_NODES};

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// A syntax node with the column (in characters, from 1) where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Column in the guard text, from 1.
    pub col: u32,
}

/// Syntax node kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string in double or single quotes.
    Str(String),
    /// A list literal.
    List(Vec<Expr>),
    /// A field name, or `case.attribute` (then `scope` is `Some("case")`).
    Name {
        /// `case` for case attributes, `None` for fields.
        scope: Option<String>,
        /// The name.
        name: String,
    },
    /// A function call.
    Call {
        /// The function.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `!x`
    Not(Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// A syntax error with its column (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Column, from 1.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    End,
}

/// The string literal opening at `chars[start]` (its quote): its text, and where the lexer goes
/// on after the closing quote.
fn string(chars: &[char], start: usize, col: u32) -> Result<(String, usize), ParseError> {
    let quote = chars[start];
    let mut i = start + 1;
    let mut s = String::new();
    loop {
        match chars.get(i) {
            None => {
                return Err(ParseError {
                    col,
                    message: "this string is not closed".into(),
                });
            }
            Some('\\') => {
                match chars.get(i + 1) {
                    Some(e @ ('\\' | '"' | '\'')) => s.push(*e),
                    Some('n') => s.push('\n'),
                    _ => {
                        return Err(ParseError {
                            col: i as u32 + 1,
                            message: "unknown escape; use \\\\, \\\", \\' or \\n".into(),
                        });
                    }
                }
                i += 2;
            }
            Some(ch) if *ch == quote => return Ok((s, i + 1)),
            Some(ch) => {
                s.push(*ch);
                i += 1;
            }
        }
    }
}

fn lex(src: &str) -> Result<Vec<(Tok, u32)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i as u32 + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let n: f64 = text.parse().map_err(|_| ParseError {
                col,
                message: format!("`{text}` is not a number"),
            })?;
            out.push((Tok::Num(n), col));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), col));
            continue;
        }
        if c == '"' || c == '\'' {
            let (text, next) = string(&chars, i, col)?;
            out.push((Tok::Str(text), col));
            i = next;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op: Option<&'static str> = match two.as_str() {
            "&&" => Some("&&"),
            "||" => Some("||"),
            "==" => Some("=="),
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            out.push((Tok::Op(op), col));
            i += 2;
            continue;
        }
        let op: &'static str = match c {
            '<' => "<",
            '>' => ">",
            '!' => "!",
            '+' => "+",
            '-' => "-",
            '*' => "*",
            '/' => "/",
            '(' => "(",
            ')' => ")",
            '[' => "[",
            ']' => "]",
            ',' => ",",
            '.' => ".",
            '=' => {
                return Err(ParseError {
                    col,
                    message: "`=` is not an operator; compare with `==`".into(),
                });
            }
            '&' | '|' => {
                return Err(ParseError {
                    col,
                    message: format!("`{c}` alone is not an operator; write `{c}{c}`"),
                });
            }
            other => {
                return Err(ParseError {
                    col,
                    message: format!("unexpected character `{other}`"),
                });
            }
        };
        out.push((Tok::Op(op), col));
        i += 1;
    }
    out.push((Tok::End, chars.len() as u32 + 1));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, u32)>,
    at: usize,
    nodes: usize,
    depth: usize,
}

/// Parses a guard.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.chars().count() > MAX_LEN {
        return Err(ParseError {
            col: 1,
            message: format!("a guard may be at most {MAX_LEN} characters long"),
        });
    }
    if src.trim().is_empty() {
        return Err(ParseError {
            col: 1,
            message: "the guard is empty".into(),
        });
    }
    let mut p = Parser {
        toks: lex(src)?,
        at: 0,
        nodes: 0,
        depth: 0,
    };
    let e = p.or()?;
    match p.peek() {
        (Tok::End, _) => Ok(e),
        (t, col) => Err(ParseError {
            col,
            message: format!("unexpected {} after a complete condition", describe(&t)),
        }),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number `{n}`"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "end of the guard".into(),
    }
}

impl Parser {
    fn peek(&self) -> (Tok, u32) {
        self.toks[self.at.min(self.toks.len() - 1)].clone()
    }

    fn bump(&mut self) -> (Tok, u32) {
        let t = self.peek();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().0, Tok::Op(o) if *o == op)
    }

    fn node(&mut self, kind: ExprKind, col: u32) -> Result<Expr, ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ParseError {
                col,
                message: format!("the guard is too complex (more than {MAX_NODES} parts); split the rule"),
            });
        }
        Ok(Expr { kind, col })
    }

    fn enter(&mut self, col: u32) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                col,
                message: format!("the guard nests deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn expect(&mut self, op: &str) -> Result<(), ParseError> {
        let (t, col) = self.bump();
        if matches!(&t, Tok::Op(o) if *o == op) {
            Ok(())
        } else {
            Err(ParseError {
                col,
                message: format!("expected `{op}`, found {}", describe(&t)),
            })
        }
    }

    fn binary_chain(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Parser) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let mut left = next(self)?;
        loop {
            let Some((_, op)) = ops.iter().find(|(s, _)| self.is_op(s)) else {
                return Ok(left);
            };
            let (_, col) = self.bump();
            let right = next(self)?;
            let lc = left.col;
            left = self.node(ExprKind::Binary(*op, Box::new(left), Box::new(right)), lc.min(col))?;
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let col = self.peek().1;
        self.enter(col)?;
        let e = self.binary_chain(&[("||", BinOp::Or)], Parser::and);
        self.depth -= 1;
        e
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.binary_chain(&[("&&", BinOp::And)], Parser::not)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("!") {
            let (_, col) = self.bump();
            self.enter(col)?;
            let inner = self.not()?;
            self.depth -= 1;
            return self.node(ExprKind::Not(Box::new(inner)), col);
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let left = self.sum()?;
        let ops = [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ];
        let op = if let Some((_, op)) = ops.iter().find(|(s, _)| self.is_op(s)) {
            Some(*op)
        } else if matches!(&self.peek().0, Tok::Ident(s) if s == "in") {
            Some(BinOp::In)
        } else {
            None
        };
        let Some(op) = op else {
            return Ok(left);
        };
        self.bump();
        let right = self.sum()?;
        if let Some(second) = ops.iter().find(|(s, _)| self.is_op(s)) {
            let col = self.peek().1;
            return Err(ParseError {
                col,
                message: format!("comparisons do not chain; join them with `&&` before `{}`", second.0),
            });
        }
        let col = left.col;
        self.node(ExprKind::Binary(op, Box::new(left), Box::new(right)), col)
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        self.binary_chain(&[("+", BinOp::Add), ("-", BinOp::Sub)], Parser::product)
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        self.binary_chain(&[("*", BinOp::Mul), ("/", BinOp::Div)], Parser::unary)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("-") {
            let (_, col) = self.bump();
            self.enter(col)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return self.node(ExprKind::Neg(Box::new(inner)), col);
        }
        self.primary()
    }

    fn list(&mut self, open_col: u32) -> Result<Vec<Expr>, ParseError> {
        let mut items = Vec::new();
        let close = if open_col == 0 { ")" } else { "]" };
        if self.is_op(close) {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.or()?);
            if self.is_op(",") {
                self.bump();
                continue;
            }
            self.expect(close)?;
            return Ok(items);
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let (t, col) = self.bump();
        match t {
            Tok::Num(n) => self.node(ExprKind::Number(n), col),
            Tok::Str(s) => self.node(ExprKind::Str(s), col),
            Tok::Op("(") => {
                self.enter(col)?;
                let e = self.or()?;
                self.depth -= 1;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Op("[") => {
                self.enter(col)?;
                let items = self.list(col)?;
                self.depth -= 1;
                self.node(ExprKind::List(items), col)
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => self.node(ExprKind::Bool(true), col),
                "false" => self.node(ExprKind::Bool(false), col),
                "null" => self.node(ExprKind::Null, col),
                "and" | "or" | "not" => Err(ParseError {
                    col,
                    message: format!(
                        "`{name}` is not an operator here; write `{}`",
                        match name.as_str() {
                            "and" => "&&",
                            "or" => "||",
                            _ => "!",
                        }
                    ),
                }),
                _ if self.is_op("(") => {
                    self.bump();
                    self.enter(col)?;
                    let args = self.list(0)?;
                    self.depth -= 1;
                    self.node(ExprKind::Call { name, args }, col)
                }
                _ if self.is_op(".") => {
                    self.bump();
                    let (t2, col2) = self.bump();
                    let Tok::Ident(attr) = t2 else {
                        return Err(ParseError {
                            col: col2,
                            message: format!("expected a name after `{name}.`, found {}", describe(&t2)),
                        });
                    };
                    self.node(
                        ExprKind::Name {
                            scope: Some(name),
                            name: attr,
                        },
                        col,
                    )
                }
                _ => self.node(ExprKind::Name { scope: None, name }, col),
            },
            other => Err(ParseError {
                col,
                message: format!("expected a value, found {}", describe(&other)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_columns() {
        let e = parse("a > 1 && b == \"x\" || !c").expect("parses");
        let ExprKind::Binary(BinOp::Or, left, right) = e.kind else {
            panic!("or at the top")
        };
        assert!(matches!(left.kind, ExprKind::Binary(BinOp::And, _, _)));
        assert_eq!(right.col, 22);
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(parse("a = 1").unwrap_err().col, 3);
        assert_eq!(parse("a > ").unwrap_err().col, 5);
        assert_eq!(parse("(a > 1").unwrap_err().col, 7);
        assert_eq!(parse("1 < a < 3").unwrap_err().col, 7);
    }

    #[test]
    fn limits_hold_without_stack_overflow() {
        let deep = "(".repeat(400) + "1" + &")".repeat(400);
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        let nots = "!".repeat(900) + "a";
        assert!(parse(&nots).is_err());
        let wide = vec!["a"; 300].join(" && ");
        assert!(parse(&wide).is_err());
    }
}
