//! Lexical helpers over SQL text: where statements are, and how `exec()` cuts its input.

/// Skips whitespace, `--` and `/* */` comments and empty statements (`;`); returns the offset of
/// the first byte that can start a statement (or `sql.len()`).
pub fn skip_ignorable(sql: &str) -> usize {
  let b = sql.as_bytes();
  let mut i = 0;
  while i < b.len() {
    match b[i] {
      b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b';' => i += 1,
      b'-' if b.get(i + 1) == Some(&b'-') => {
        i = b[i..]
          .iter()
          .position(|&c| c == b'\n')
          .map_or(b.len(), |p| i + p + 1);
      }
      b'/' if b.get(i + 1) == Some(&b'*') => {
        i = sql[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
      }
      _ => return i,
    }
  }
  b.len()
}

/// True when `sql` holds at least one statement (not only blanks, comments and semicolons).
pub fn has_statement(sql: &str) -> bool {
  skip_ignorable(sql) < sql.len()
}

/// JavaScript's `String.prototype.trim` (Unicode white space, line terminators and the BOM).
pub fn js_trim(s: &str) -> &str {
  s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// `exec()`'s lines: the trimmed input split on `\n` (a statement spanning lines breaks, as in D1).
pub fn exec_lines(sql: &str) -> Vec<&str> {
  js_trim(sql).split('\n').collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn blanks_comments_and_semicolons_hold_no_statement() {
    for blank in [
      "",
      "  ",
      "-- c",
      "-- c\n  ",
      "/* x */",
      ";;",
      " ; -- a\n/* b */ ;",
      "/* open",
    ] {
      assert!(!has_statement(blank), "{blank:?}");
    }
    for sql in ["SELECT 1", "-- c\nSELECT 1", "/**/x", "; y"] {
      assert!(has_statement(sql), "{sql:?}");
    }
  }

  #[test]
  fn exec_lines_trim_then_split() {
    assert_eq!(exec_lines("\n\nSELECT 1\n\n"), vec!["SELECT 1"]);
    assert_eq!(exec_lines("a\r\nb"), vec!["a\r", "b"]);
    assert_eq!(exec_lines("\u{feff} x "), vec!["x"]);
  }
}
