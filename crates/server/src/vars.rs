//! Secrets and variables the config refers to (`secretRef`, `JWT_USER_SECRET`, `ENVIRONMENT`):
//! `.dev.vars` (wrangler's dotenv file), overridden by the process environment, overridden by
//! values given explicitly (from Node).

use crate::error::ServerError;
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
  /// `.dev.vars` at `dev_vars` when it exists, then the process environment, then `explicit`.
  pub fn load(
    dev_vars: Option<&Path>,
    explicit: impl IntoIterator<Item = (String, String)>,
  ) -> Result<Vars, ServerError> {
    let mut vars = HashMap::new();
    if let Some(file) = dev_vars.filter(|f| f.is_file()) {
      let text = std::fs::read_to_string(file).map_err(|source| ServerError::Read {
        file: file.display().to_string(),
        source,
      })?;
      vars.extend(parse_dotenv(&text));
    }
    vars.extend(std::env::vars());
    vars.extend(explicit);
    Ok(Vars(vars))
  }

  pub fn from_map(map: HashMap<String, String>) -> Vars {
    Vars(map)
  }

  /// A non-empty value (an empty variable counts as unset, as in EdgeBase's key resolution).
  pub fn get(&self, name: &str) -> Option<&str> {
    self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
  }

  pub fn set(&mut self, name: &str, value: String) {
    self.0.insert(name.into(), value);
  }
}

/// The `KEY=value` pairs of a dotenv file, in file order, read as the `dotenv` package (what
/// wrangler uses for `.dev.vars` and `.env`) reads them: `#` comments, an `export ` prefix,
/// `KEY: value`, values in single, double or back quotes that may span lines (double quotes turn
/// `\n` and `\r` into line breaks), unquoted values ending at `#`; lines of another shape are skipped.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
  let text = text.replace("\r\n", "\n").replace('\r', "\n");
  let b = text.as_bytes();
  let mut out = Vec::new();
  let mut line = 0;
  while line < b.len() {
    match dotenv_entry(b, line) {
      Some((key, value, end)) => {
        out.push((text[key].to_string(), value));
        line = end;
      }
      None => line = end_of_line(b, line),
    }
    line += 1; // past the line break
  }
  out
}

fn end_of_line(b: &[u8], at: usize) -> usize {
  b[at..]
    .iter()
    .position(|&c| c == b'\n')
    .map_or(b.len(), |n| at + n)
}

fn skip(b: &[u8], mut at: usize, what: impl Fn(u8) -> bool) -> usize {
  while at < b.len() && what(b[at]) {
    at += 1;
  }
  at
}

fn blank(c: u8) -> bool {
  c == b' ' || c == b'\t'
}

/// Where a value followed by `at` may end: blanks, an optional `# comment`, then the line's end.
fn tail(b: &[u8], at: usize) -> Option<usize> {
  let at = skip(b, at, blank);
  let at = if b.get(at) == Some(&b'#') {
    end_of_line(b, at)
  } else {
    at
  };
  (at == b.len() || b[at] == b'\n').then_some(at)
}

/// The entry starting on the line at `start`: key range, value, and the end of its last line.
fn dotenv_entry(b: &[u8], start: usize) -> Option<(std::ops::Range<usize>, String, usize)> {
  let at = skip(b, start, |c| c.is_ascii_whitespace());
  let key_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-';
  // `export KEY=…`, or (when that does not parse) a key that is literally `export`.
  if b[at..].starts_with(b"export") && b.get(at + 6).is_some_and(|c| c.is_ascii_whitespace()) {
    let key = skip(b, at + 6, |c| c.is_ascii_whitespace());
    if let Some(found) = dotenv_pair(b, key, key_char) {
      return Some(found);
    }
  }
  dotenv_pair(b, at, key_char)
}

fn dotenv_pair(
  b: &[u8],
  key_start: usize,
  key_char: impl Fn(u8) -> bool,
) -> Option<(std::ops::Range<usize>, String, usize)> {
  let key_end = skip(b, key_start, key_char);
  if key_end == key_start {
    return None;
  }
  // dotenv's `\s*=` (line breaks included) or `:` plus one whitespace character.
  let sep = skip(b, key_end, |c| c.is_ascii_whitespace());
  let value_start = match b.get(sep) {
    Some(b'=') => sep + 1,
    Some(b':') if sep == key_end && b.get(sep + 1).is_some_and(|c| c.is_ascii_whitespace()) => sep + 2,
    _ => return None,
  };
  let (value, end) = dotenv_value(b, value_start)?;
  Some((key_start..key_end, value, end))
}

/// A quoted value (closed by the first unescaped quote whose line then ends, else by an escaped
/// one before it, as dotenv's pattern backtracks), else the text up to `#` or the line's end.
fn dotenv_value(b: &[u8], at: usize) -> Option<(String, usize)> {
  let open = skip(b, at, |c| c.is_ascii_whitespace());
  if let Some(&q) = b.get(open).filter(|&&c| c == b'\'' || c == b'"' || c == b'`') {
    let mut escaped = Vec::new();
    let mut close = None;
    let mut i = open + 1;
    while i < b.len() {
      if b[i] == b'\\' && b.get(i + 1) == Some(&q) {
        escaped.push(i + 1);
        i += 2;
      } else if b[i] == q {
        close = Some(i);
        break;
      } else {
        i += 1;
      }
    }
    for c in close.into_iter().chain(escaped.into_iter().rev()) {
      if let Some(end) = tail(b, c + 1) {
        return Some((unquote(&String::from_utf8_lossy(&b[open..=c])), end));
      }
    }
  }
  let end = b[at..]
    .iter()
    .position(|&c| c == b'#' || c == b'\n')
    .map_or(b.len(), |n| at + n);
  Some((
    unquote(String::from_utf8_lossy(&b[at..end]).trim()),
    end_of_line(b, end),
  ))
}

/// dotenv's finishing step: strip a matching pair of outer quotes; after a leading double quote,
/// `\n` and `\r` become line breaks.
fn unquote(raw: &str) -> String {
  let first = raw.chars().next();
  let quoted =
    raw.len() >= 2 && matches!(first, Some('\'' | '"' | '`')) && raw.ends_with(first.unwrap_or(' '));
  let inner = if quoted { &raw[1..raw.len() - 1] } else { raw };
  if first == Some('"') {
    inner.replace("\\n", "\n").replace("\\r", "\r")
  } else {
    inner.to_string()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn dotenv_forms() {
    let vars = parse_dotenv(
      "# secrets\nSERVICE_KEY=abc\nexport JWT_USER_SECRET = \"a b\\nc\"\nQ='x=y' \nC=v # note\n\nnoequals\nA=1\n=x\n",
    );
    assert_eq!(
      vars,
      vec![
        ("SERVICE_KEY".into(), "abc".into()),
        ("JWT_USER_SECRET".into(), "a b\nc".into()),
        ("Q".into(), "x=y".into()),
        ("C".into(), "v".into()),
        ("A".into(), "1".into()),
      ]
    );
    // As in dotenv, `=` may follow its key on the next line.
    assert_eq!(parse_dotenv("KEY\n=x"), vec![("KEY".into(), "x".into())]);
  }

  #[test]
  fn dotenv_like_the_dotenv_package() {
    let p = |t: &str| parse_dotenv(t);
    let one = |t: &str| p(t).pop().map(|(_, v)| v);
    // Multi-line quoted values (PEM keys), CRLF files, back quotes.
    assert_eq!(
      p("KEY=\"-----BEGIN-----\r\nabc\r\n-----END-----\"\r\nNEXT=1\r\n"),
      vec![
        ("KEY".into(), "-----BEGIN-----\nabc\n-----END-----".into()),
        ("NEXT".into(), "1".into())
      ]
    );
    assert_eq!(one("A=`x 'y' \"z\"`"), Some("x 'y' \"z\"".into()));
    // Unquoted values end at `#`; quoted ones keep it.
    assert_eq!(one("A=abc#def"), Some("abc".into()));
    assert_eq!(one("A='abc#def' # note"), Some("abc#def".into()));
    // `\n` expands only in double quotes; escaped quotes stay as written.
    assert_eq!(one("A='a\\nb'"), Some("a\\nb".into()));
    assert_eq!(one("A=\"a\\\"b\""), Some("a\\\"b".into()));
    // A quote followed by more text falls back to the unquoted form.
    assert_eq!(one("A=\"x\" y"), Some("\"x\" y".into()));
    assert_eq!(one("A='x' 'y'"), Some("x' 'y".into()));
    // An unterminated quote is kept literally and does not swallow the next lines.
    assert_eq!(
      p("A=\"abc\nB=2"),
      vec![("A".into(), "\"abc".into()), ("B".into(), "2".into())]
    );
    // `KEY: value`, empty values, a key named `export`, later duplicates kept in order.
    assert_eq!(one("A: b"), Some("b".into()));
    assert_eq!(
      p("A=\nB="),
      vec![("A".into(), String::new()), ("B".into(), String::new())]
    );
    assert_eq!(one("export = 5"), Some("5".into()));
    assert_eq!(p("A=1\nA=2").len(), 2);
    assert_eq!(p("# only\n\n  \n"), vec![]);
  }

  #[test]
  fn explicit_values_win_and_empty_is_unset() {
    let v = Vars::load(
      None,
      [
        ("EB_TEST_VAR_X".to_string(), "1".to_string()),
        ("E".into(), String::new()),
      ],
    )
    .unwrap();
    assert_eq!(v.get("EB_TEST_VAR_X"), Some("1"));
    assert_eq!(v.get("E"), None);
  }
}
