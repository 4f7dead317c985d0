//! What SQL a D1 user may run: the authorizer rules of workerd's SQLite layer with D1's
//! regulator (names starting `_cf_` are reserved, transactions belong to the JS API), so the same
//! statements are refused with the same errors.

use rusqlite::ffi;

/// The authorizer's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
  Allow,
  /// Compile the statement as a no-op: SQLite changes `PRAGMA foreign_keys` while *preparing*
  /// it, and D1 runs every query inside a transaction, where that pragma does nothing.
  Ignore,
  Deny,
  /// `BEGIN`, `COMMIT`, `SAVEPOINT`, …: refused with D1's transaction message.
  DenyTransaction,
}

/// Pragmas D1 allows, and the argument each takes.
#[derive(Clone, Copy)]
enum PragmaArg {
  None,
  Boolean,
  ObjectName,
  OptionalObjectName,
  OptionalInt,
  OptionalUintOrObjectName,
}

const PRAGMAS: &[(&str, PragmaArg)] = &[
  ("data_version", PragmaArg::None),
  ("page_size", PragmaArg::None),
  ("case_sensitive_like", PragmaArg::Boolean),
  ("foreign_keys", PragmaArg::Boolean),
  ("defer_foreign_keys", PragmaArg::Boolean),
  ("ignore_check_constraints", PragmaArg::Boolean),
  ("legacy_alter_table", PragmaArg::Boolean),
  ("recursive_triggers", PragmaArg::Boolean),
  ("reverse_unordered_selects", PragmaArg::Boolean),
  ("foreign_key_check", PragmaArg::OptionalObjectName),
  ("foreign_key_list", PragmaArg::ObjectName),
  ("index_info", PragmaArg::ObjectName),
  ("index_list", PragmaArg::ObjectName),
  ("index_xinfo", PragmaArg::ObjectName),
  ("quick_check", PragmaArg::OptionalUintOrObjectName),
  ("optimize", PragmaArg::OptionalInt),
];

/// SQL functions D1 allows (core, date, aggregate, window, math, JSON, FTS5, R*Tree and the
/// helpers `ALTER TABLE` uses internally). Introspection such as `sqlite_version()` is refused.
const FUNCTIONS: &[&str] = &[
  "abs",
  "changes",
  "char",
  "coalesce",
  "concat",
  "concat_ws",
  "format",
  "glob",
  "hex",
  "ifnull",
  "iif",
  "instr",
  "last_insert_rowid",
  "length",
  "like",
  "likelihood",
  "likely",
  "load_extension",
  "lower",
  "ltrim",
  "max_scalar",
  "min_scalar",
  "nullif",
  "octet_length",
  "printf",
  "quote",
  "random",
  "randomblob",
  "replace",
  "round",
  "rtrim",
  "sign",
  "soundex",
  "substr",
  "substring",
  "total_changes",
  "trim",
  "typeof",
  "unhex",
  "unicode",
  "unlikely",
  "upper",
  "zeroblob",
  "date",
  "time",
  "datetime",
  "julianday",
  "unixepoch",
  "strftime",
  "timediff",
  "current_date",
  "current_time",
  "current_timestamp",
  "avg",
  "count",
  "group_concat",
  "max",
  "min",
  "string_agg",
  "sum",
  "total",
  "row_number",
  "rank",
  "dense_rank",
  "percent_rank",
  "cume_dist",
  "ntile",
  "lag",
  "lead",
  "first_value",
  "last_value",
  "nth_value",
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atan2",
  "atanh",
  "ceil",
  "cos",
  "cosh",
  "degrees",
  "exp",
  "floor",
  "ln",
  "log",
  "log2",
  "mod",
  "pi",
  "pow",
  "radians",
  "sin",
  "sinh",
  "sqrt",
  "tan",
  "tanh",
  "trunc",
  "json",
  "jsonb",
  "json_array",
  "jsonb_array",
  "json_array_length",
  "json_extract",
  "jsonb_extract",
  "json_insert",
  "jsonb_insert",
  "json_object",
  "jsonb_object",
  "json_patch",
  "jsonb_patch",
  "json_remove",
  "jsonb_remove",
  "json_replace",
  "jsonb_replace",
  "json_set",
  "jsonb_set",
  "json_type",
  "json_valid",
  "json_quote",
  "json_group_array",
  "jsonb_group_array",
  "json_group_object",
  "jsonb_group_object",
  "json_each",
  "json_tree",
  "match",
  "highlight",
  "bm25",
  "snippet",
  "rtreecheck",
  "sqlite_rename_column",
  "sqlite_rename_table",
  "sqlite_rename_test",
  "sqlite_drop_column",
  "sqlite_rename_quotefix",
];

/// Virtual-table modules a user may create.
const MODULES: &[&str] = &["fts5", "fts5vocab", "rtree", "rtree_i32"];

/// Names starting `_cf_` (any case) are Cloudflare's.
pub fn allowed_name(name: &str) -> bool {
  !name
    .as_bytes()
    .get(..4)
    .is_some_and(|p| p.eq_ignore_ascii_case(b"_cf_"))
}

/// The verdict for one authorizer callback of an untrusted (user) statement.
pub fn authorize(action: i32, p1: Option<&str>, p2: Option<&str>, db: Option<&str>) -> Verdict {
  let (mut p1, mut p2, mut db) = (p1, p2, db);
  // For these two SQLite passes the database name first; put the table name where it belongs.
  if action == ffi::SQLITE_ALTER_TABLE || action == ffi::SQLITE_DETACH {
    (p1, p2, db) = (p2, db, p1);
  }
  let name_ok = |n: Option<&str>| n.is_some_and(allowed_name);
  let yes = |b: bool| if b { Verdict::Allow } else { Verdict::Deny };
  match db {
    Some("temp") => {
      // The temp schema: reading or updating what is already there, nothing else.
      return yes((action == ffi::SQLITE_READ || action == ffi::SQLITE_UPDATE) && name_ok(p1));
    }
    Some("main") | None => {}
    Some(_) => return Verdict::Deny,
  }
  match action {
    ffi::SQLITE_SELECT | ffi::SQLITE_ANALYZE | ffi::SQLITE_RECURSIVE => Verdict::Allow,
    ffi::SQLITE_CREATE_TABLE
    | ffi::SQLITE_DELETE
    | ffi::SQLITE_DROP_TABLE
    | ffi::SQLITE_INSERT
    | ffi::SQLITE_CREATE_VIEW
    | ffi::SQLITE_DROP_VIEW
    | ffi::SQLITE_REINDEX
    | ffi::SQLITE_READ
    | ffi::SQLITE_UPDATE => yes(name_ok(p1)),
    ffi::SQLITE_ALTER_TABLE => yes(name_ok(p1) && p2.is_none_or(allowed_name)),
    ffi::SQLITE_CREATE_INDEX
    | ffi::SQLITE_DROP_INDEX
    | ffi::SQLITE_CREATE_TRIGGER
    | ffi::SQLITE_DROP_TRIGGER => yes(name_ok(p1) && name_ok(p2)),
    ffi::SQLITE_TRANSACTION | ffi::SQLITE_SAVEPOINT => Verdict::DenyTransaction,
    ffi::SQLITE_PRAGMA if p1 == Some("foreign_keys") && p2.is_some() => Verdict::Ignore,
    ffi::SQLITE_PRAGMA => yes(pragma_allowed(p1.unwrap_or(""), p2)),
    // SQLite passes a keyword-style call (`DEFAULT CURRENT_TIMESTAMP`) as written.
    ffi::SQLITE_FUNCTION => yes(p2.is_some_and(|f| FUNCTIONS.iter().any(|x| x.eq_ignore_ascii_case(f)))),
    ffi::SQLITE_CREATE_VTABLE | ffi::SQLITE_DROP_VTABLE => {
      yes(p2.is_some_and(|m| MODULES.iter().any(|x| x.eq_ignore_ascii_case(m))) && name_ok(p1))
    }
    // ATTACH/DETACH, temp objects, and anything unknown.
    _ => Verdict::Deny,
  }
}

fn pragma_allowed(pragma: &str, arg: Option<&str>) -> bool {
  if pragma == "table_list" {
    return true;
  }
  if pragma == "table_info" || pragma == "table_xinfo" {
    return arg.is_some_and(allowed_name);
  }
  let Some(&(_, kind)) = PRAGMAS.iter().find(|(n, _)| *n == pragma) else {
    return false;
  };
  match (kind, arg) {
    (PragmaArg::None, a) => a.is_none(),
    (PragmaArg::Boolean, None) => true,
    (PragmaArg::Boolean, Some(v)) => {
      let v = v.as_bytes();
      let v = match v {
        [q, inner @ .., e] if (*q == b'\'' || *q == b'"') && q == e => inner,
        _ => v,
      };
      // workerd compares prefixes, case-insensitively.
      ["true", "false", "yes", "no", "on", "off", "1", "0"]
        .iter()
        .any(|w| v.len() >= w.len() && v[..w.len()].eq_ignore_ascii_case(w.as_bytes()))
    }
    (PragmaArg::ObjectName, a) => a.is_some_and(allowed_name),
    (PragmaArg::OptionalObjectName, a) => a.is_none_or(allowed_name),
    (PragmaArg::OptionalInt, a) => a.is_none_or(|v| v.parse::<i32>().is_ok()),
    (PragmaArg::OptionalUintOrObjectName, a) => a.is_none_or(|v| v.parse::<u32>().is_ok() || allowed_name(v)),
  }
}
