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
  for end in statement_ends(sql) {
    push_statement(&mut out, &sql[start..end]);
    start = end;
  }
  push_statement(&mut out, &sql[start..]);
  out
}

fn push_statement(out: &mut Vec<String>, piece: &str) {
  if has_statement(piece) {
    out.push(piece.trim().to_string());
  }
}

/// Token classes and states of `sqlite3_complete`'s state machine (SQLite's `complete.c`).
const SEMI: usize = 0;
const WS: usize = 1;
const OTHER: usize = 2;
const EXPLAIN: usize = 3;
const CREATE: usize = 4;
const TEMP: usize = 5;
const TRIGGER: usize = 6;
const END: usize = 7;
/// `[state][token]` → next state; state 1 is "at the end of a statement".
const TRANSITIONS: [[u8; 8]; 8] = [
  [1, 0, 2, 3, 4, 2, 2, 2],
  [1, 1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2, 2],
  [1, 3, 3, 2, 4, 2, 2, 2],
  [1, 4, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5, 5],
  [6, 6, 5, 5, 5, 5, 5, 7],
  [1, 7, 5, 5, 5, 5, 5, 5],
];

/// Byte offsets just past each `;` that ends a statement: where `sqlite3_complete` would first say
/// "complete", found in one pass over the script (asking `sqlite3_complete` at every `;` costs
/// time quadratic in the length of a statement holding many semicolons, e.g. a large seed
/// `INSERT` of text). Like SQLite, the text ends at a NUL byte.
fn statement_ends(sql: &str) -> Vec<usize> {
  let b = sql.as_bytes();
  let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
  let id_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
  let mut ends = Vec::new();
  let mut state = 0usize;
  let mut i = 0;
  while i < b.len() {
    // Each arm leaves `i` on the token's last byte, or returns when the text ends inside it.
    let token = match b[i] {
      b';' => SEMI,
      b' ' | b'\r' | b'\t' | b'\n' | b'\x0c' => WS,
      b'/' if b.get(i + 1) == Some(&b'*') => match sql[i + 2..].find("*/") {
        Some(p) => {
          i += 2 + p + 1;
          WS
        }
        None => return ends,
      },
      b'-' if b.get(i + 1) == Some(&b'-') => match b[i..].iter().position(|&c| c == b'\n') {
        Some(p) => {
          i += p;
          WS
        }
        None => return ends,
      },
      open @ (b'[' | b'`' | b'"' | b'\'') => {
        let close = if open == b'[' { b']' } else { open };
        match b[i + 1..].iter().position(|&c| c == close) {
          Some(p) => {
            i += 1 + p;
            OTHER
          }
          None => return ends,
        }
      }
      c if id_char(c) => {
        let n = b[i..].iter().take_while(|&&c| id_char(c)).count();
        let word = &b[i..i + n];
        i += n - 1;
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        if is("create") {
          CREATE
        } else if is("trigger") {
          TRIGGER
        } else if is("temp") || is("temporary") {
          TEMP
        } else if is("end") {
          END
        } else if is("explain") {
          EXPLAIN
        } else {
          OTHER
        }
      }
      _ => OTHER,
    };
    state = TRANSITIONS[state][token] as usize;
    i += 1;
    if token == SEMI && state == 1 {
      ends.push(i);
    }
  }
  ends
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

  /// The splitter as it was: `sqlite3_complete` asked at every `;` (quadratic, but SQLite's own).
  fn split_by_sqlite(sql: &str) -> Vec<String> {
    let complete = |s: &str| {
      std::ffi::CString::new(s).is_ok_and(|c| unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) != 0 })
    };
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in sql.match_indices(';') {
      if complete(&sql[start..=i]) {
        push_statement(&mut out, &sql[start..=i]);
        start = i + 1;
      }
    }
    push_statement(&mut out, &sql[start..]);
    out
  }

  #[test]
  fn splits_exactly_where_sqlite_complete_says_on_random_scripts() {
    const PIECES: &[&str] = &[
      ";",
      ";",
      " ",
      "\n",
      "\t",
      "\r",
      "\x0c",
      "\x0b",
      "'",
      "\"",
      "`",
      "[",
      "]",
      "--",
      "/*",
      "*/",
      "-",
      "/",
      "*",
      "(",
      ")",
      "create",
      "CREATE",
      "Create",
      "temp",
      "TEMPORARY",
      "trigger",
      "Trigger",
      "end",
      "END",
      "explain",
      "begin",
      "x",
      "t",
      "é",
      "$v",
      "_1",
      "createx",
      "endx",
      "tempo",
      "select 1",
      "ab",
      "\0",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
      seed ^= seed << 13;
      seed ^= seed >> 7;
      seed ^= seed << 17;
      seed
    };
    for _ in 0..300_000 {
      let len = (next() % 40) as usize;
      let script: String = (0..len)
        .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
        .collect();
      assert_eq!(split_statements(&script), split_by_sqlite(&script), "{script:?}");
    }
  }

  #[test]
  fn a_statement_with_many_semicolons_splits_in_linear_time() {
    let rows: Vec<String> = (0..200_000).map(|i| format!("('a;{i}')")).collect();
    let big = format!("INSERT INTO t VALUES {};\nSELECT 1;", rows.join(","));
    // 2.6 MB with 200,000 semicolons in strings: one pass takes milliseconds (asking
    // `sqlite3_complete` at every semicolon took minutes).
    let parts = split_statements(&big);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].ends_with("('a;199999');"));
  }

  #[test]
  fn text_ends_at_a_nul_byte_as_in_sqlite() {
    assert_eq!(
      split_statements("SELECT 1; SELECT '\0;'; SELECT 3;"),
      vec!["SELECT 1;", "SELECT '\0;'; SELECT 3;"]
    );
  }

  #[test]
  fn exec_lines_trim_then_split() {
    assert_eq!(exec_lines("\n\nSELECT 1\n\n"), vec!["SELECT 1"]);
    assert_eq!(exec_lines("a\r\nb"), vec!["a\r", "b"]);
    assert_eq!(exec_lines("\u{feff} x "), vec!["x"]);
  }
}
