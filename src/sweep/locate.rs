//! Where things are in a sweep file's text, so that errors found after parsing (a bad name,
//! a repeated axis, an unknown variant) can still say `file:line:column`.
//!
//! RON gives positions only for syntax errors, so this is a small scanner over the text:
//! field names (`name:`) and string literals, with their 1-based positions, skipping
//! comments. It is best effort — a position it cannot find is left out of the message,
//! never guessed.

/// A 1-based line and column.
pub type Pos = (usize, usize);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier followed by `:`.
    Field(String),
    /// A string literal's contents (escapes resolved where simple).
    Str(String),
}

/// The field names and string literals of a RON text, in order.
#[derive(Debug, Default)]
pub struct Spans {
    tokens: Vec<(Token, Pos)>,
}

impl Spans {
    /// Scans `text`. Linear in its length.
    pub fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let (mut i, mut line, mut col) = (0, 1, 1);
        // Advances over chars[i..j], keeping line and column.
        let advance = |i: &mut usize, j: usize, line: &mut usize, col: &mut usize| {
            for &c in &chars[*i..j.min(chars.len())] {
                if c == '\n' {
                    (*line, *col) = (*line + 1, 1);
                } else {
                    *col += 1;
                }
            }
            *i = j.min(chars.len());
        };
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                let j = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |k| i + k);
                advance(&mut i, j, &mut line, &mut col);
            } else if c == '/' && next == Some('*') {
                let mut depth = 0usize;
                let mut j = i;
                while j < chars.len() {
                    match (chars[j], chars.get(j + 1)) {
                        ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                        ('*', Some('/')) => {
                            (depth, j) = (depth - 1, j + 2);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => j += 1,
                    }
                }
                advance(&mut i, j, &mut line, &mut col);
            } else if c == '"' {
                let at = (line, col);
                let mut value = String::new();
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        value.push(match chars[j + 1] {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '0' => '\0',
                            other => other,
                        });
                        j += 2;
                    } else {
                        value.push(chars[j]);
                        j += 1;
                    }
                }
                tokens.push((Token::Str(value), at));
                advance(&mut i, j + 1, &mut line, &mut col);
            } else if c.is_alphabetic() || c == '_' {
                let at = (line, col);
                let mut j = i;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i..j].iter().collect();
                let mut k = j;
                while k < chars.len() && chars[k].is_whitespace() {
                    k += 1;
                }
                if chars.get(k) == Some(&':') {
                    tokens.push((Token::Field(name), at));
                }
                advance(&mut i, j, &mut line, &mut col);
            } else {
                let j = i + 1;
                advance(&mut i, j, &mut line, &mut col);
            }
        }
        Self { tokens }
    }

    /// Where the first field called `name` is written.
    pub fn field(&self, name: &str) -> Option<Pos> {
        self.tokens
            .iter()
            .find(|(t, _)| matches!(t, Token::Field(f) if f == name))
            .map(|&(_, at)| at)
    }

    /// Where the `nth` (0-based) string `value` written right after a field `field` is,
    /// e.g. the second `path: "duration_s"`.
    pub fn value_of(&self, field: &str, value: &str, nth: usize) -> Option<Pos> {
        self.tokens
            .windows(2)
            .filter(|w| {
                matches!(&w[0].0, Token::Field(f) if f == field)
                    && matches!(&w[1].0, Token::Str(s) if s == value)
            })
            .nth(nth)
            .map(|w| w[1].1)
    }

    /// Where the first string `value` after the field `field` is (an item of a list of
    /// strings such as `variants: ["a", "b"]`).
    pub fn item_of(&self, field: &str, value: &str) -> Option<Pos> {
        let start = self
            .tokens
            .iter()
            .position(|(t, _)| matches!(t, Token::Field(f) if f == field))?;
        self.tokens[start + 1..]
            .iter()
            .take_while(|(t, _)| matches!(t, Token::Str(_)))
            .find(|(t, _)| matches!(t, Token::Str(s) if s == value))
            .map(|&(_, at)| at)
    }

    /// Where the first field `name` after position `after` is.
    pub fn field_after(&self, after: Pos, name: &str) -> Option<Pos> {
        self.tokens
            .iter()
            .filter(|(_, at)| *at > after)
            .find(|(t, _)| matches!(t, Token::Field(f) if f == name))
            .map(|&(_, at)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_strings_are_found_past_comments() {
        let text = "// name: \"no\"\n(\n  name: \"a\\nb\", /* path: \"x\" */\n  axes: [(path: \"x\", range: (steps: 3)), (path: \"x\")],\n  variants: [\"p\", \"q\"],\n)";
        let s = Spans::new(text);
        assert_eq!(s.field("name"), Some((3, 3)));
        assert_eq!(s.value_of("path", "x", 0), Some((4, 17)));
        assert_eq!(s.value_of("path", "x", 1), Some((4, 49)));
        assert_eq!(s.field_after((4, 17), "steps"), Some((4, 30)));
        assert_eq!(s.item_of("variants", "q"), Some((5, 19)));
        assert_eq!(s.item_of("variants", "r"), None);
    }
}
