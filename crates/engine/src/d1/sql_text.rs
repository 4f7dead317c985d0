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

/// Splits a SQL script (a migration file) into its statements, as SQLite's own tokenizer sees them:
/// semicolons inside strings, comments and `CREATE TRIGGER … BEGIN … END` do not split. Blank and
/// comment-only pieces are dropped; an unterminated last statement is kept as it is.
pub fn split_statements(sql: &str) -> Vec<String> {
  let mut out = Vec::new();
  let mut start = 0;
  let bytes = sql.as_bytes();
  let mut i = 0;
  while i < bytes.len() {
    if bytes[i] == b';' && complete(&sql[start..=i]) {
      push_statement(&mut out, &sql[start..=i]);
      start = i + 1;
    }
    i += 1;
  }
  push_statement(&mut out, &sql[start..]);
  out
}

fn push_statement(out: &mut Vec<String>, piece: &str) {
  if has_statement(piece) {
    out.push(piece.trim().to_string());
  }
}

/// `sqlite3_complete`: does `sql` end a statement (outside strings, comments and triggers)?
fn complete(sql: &str) -> bool {
  let Ok(c) = std::ffi::CString::new(sql) else {
    return false;
  };
  // SAFETY: a NUL-terminated string that lives across the call.
  unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) != 0 }
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
  fn scripts_split_where_sqlite_ends_statements() {
    let script = "-- init\nCREATE TABLE t (a TEXT DEFAULT ';');\n/* ; */\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = 'x;y';\nEND;\n;\nINSERT INTO t VALUES ('--;')";
    assert_eq!(
      split_statements(script),
      vec![
        "-- init\nCREATE TABLE t (a TEXT DEFAULT ';');",
        "/* ; */\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = 'x;y';\nEND;",
        "INSERT INTO t VALUES ('--;')",
      ]
    );
    assert!(split_statements("  -- nothing\n").is_empty());
  }

  #[test]
  fn exec_lines_trim_then_split() {
    assert_eq!(exec_lines("\n\nSELECT 1\n\n"), vec!["SELECT 1"]);
    assert_eq!(exec_lines("a\r\nb"), vec!["a\r", "b"]);
    assert_eq!(exec_lines("\u{feff} x "), vec!["x"]);
  }
}
