//! `POST /api/d1/:database` — `{ query, params? }`, scope `d1:database:<db>:exec`. One statement
//! per request; JSON booleans bind as 1/0, objects and arrays are refused.

use super::body::{read_json, Schema, Ty};
use super::{decode_segment, json, require_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::{js_number, Obj};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use edgebase_engine::d1::{D1Error, Output, QueryResult, Submitted, Value, Work};
use edgebase_engine::limits::d1::MAX_BOUND_PARAMETERS;
use serde_json::Value as Json;
use std::ffi::CString;
use std::sync::Arc;

fn failed(db: &str, detail: impl std::fmt::Display) -> ApiError {
  ApiError::bad_request(format!("D1 query failed for '{db}': {detail}"))
}

/// How JavaScript's `String(value)` shows an object or array in D1's type error.
fn js_string(v: &Json) -> String {
  match v {
    Json::Array(a) => a
      .iter()
      .map(|x| if x.is_null() { String::new() } else { js_string(x) })
      .collect::<Vec<_>>()
      .join(","),
    Json::Object(_) => "[object Object]".into(),
    Json::String(s) => s.clone(),
    other => other.to_string(),
  }
}

/// JSON parameters → SQLite values, as D1's `bind()` takes them.
fn bind(db: &str, params: &[Json]) -> Result<Vec<Value>, ApiError> {
  if params.len() > MAX_BOUND_PARAMETERS as usize {
    return Err(failed(
      db,
      format!(
        "D1_ERROR: too many parameters: {} (a query takes at most {MAX_BOUND_PARAMETERS})",
        params.len()
      ),
    ));
  }
  params
    .iter()
    .map(|p| match p {
      Json::Null => Ok(Value::Null),
      Json::Bool(b) => Ok(Value::Integer(*b as i64)),
      Json::Number(n) => Ok(Value::from_number(n.as_f64().unwrap_or(f64::NAN))),
      Json::String(s) => Ok(Value::Text(s.clone())),
      other => Err(failed(
        db,
        format!(
          "D1_TYPE_ERROR: Type 'object' not supported for value '{}'",
          js_string(other)
        ),
      )),
    })
    .collect()
}

/// `sqlite3_complete`: `sql` ends with a semicolon that closes a statement (quotes, comments and
/// trigger bodies understood).
fn complete(sql: &str) -> bool {
  match CString::new(sql) {
    Ok(c) => unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) != 0 },
    Err(_) => false,
  }
}

/// Whether `rest` holds anything but blanks, semicolons and comments.
fn has_sql(rest: &str) -> bool {
  let mut s = rest;
  loop {
    s = s.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
    if let Some(r) = s.strip_prefix("--") {
      s = r.split_once('\n').map_or("", |(_, after)| after);
    } else if let Some(r) = s.strip_prefix("/*") {
      s = r.split_once("*/").map_or("", |(_, after)| after);
    } else {
      return !s.is_empty();
    }
  }
}

/// The SQL after the first statement, when there is any.
pub fn second_statement(sql: &str) -> Option<&str> {
  for (i, _) in sql.match_indices(';') {
    if complete(&sql[..=i]) {
      let rest = &sql[i + 1..];
      return has_sql(rest).then_some(rest);
    }
  }
  None
}

fn cell(out: &mut Vec<u8>, v: &Value) {
  let _ = match v {
    Value::Null => serde_json::to_writer(&mut *out, &()),
    Value::Integer(i) => serde_json::to_writer(&mut *out, i),
    // SQLite can hold ±Infinity, which JSON cannot: it crosses D1's wire as null.
    Value::Real(f) => Ok(js_number(out, *f)),
    Value::Text(s) => serde_json::to_writer(&mut *out, s),
    Value::Blob(b) => serde_json::to_writer(&mut *out, b),
  };
}

/// `{ results: [row objects], meta: { changes, duration, rows_read, rows_written } }`. A row is
/// an object in column order; a repeated column name keeps its first place and its last value,
/// as a JavaScript object would.
fn body(r: &QueryResult) -> Vec<u8> {
  let mut slot: Vec<usize> = Vec::with_capacity(r.columns.len());
  let mut names: Vec<&str> = Vec::new();
  for c in &r.columns {
    match names.iter().position(|n| n == c) {
      Some(i) => slot.push(i),
      None => {
        slot.push(names.len());
        names.push(c);
      }
    }
  }
  let mut out = Vec::with_capacity(64 + r.values.len() * 16);
  out.extend_from_slice(b"{\"results\":[");
  if !r.columns.is_empty() {
    for (n, row) in r.rows().enumerate() {
      if n > 0 {
        out.push(b',');
      }
      let mut cells: Vec<Option<&Value>> = vec![None; names.len()];
      for (i, v) in row.iter().enumerate() {
        cells[slot[i]] = Some(v);
      }
      out.push(b'{');
      for (i, (name, v)) in names.iter().zip(cells).enumerate() {
        if i > 0 {
          out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        cell(&mut out, v.unwrap_or(&Value::Null));
      }
      out.push(b'}');
    }
  }
  let m = &r.meta;
  out.extend_from_slice(b"],\"meta\":");
  let meta = Obj::new()
    .field("changes", m.changes)
    .num("duration", m.duration)
    .field("rows_read", m.rows_read)
    .field("rows_written", m.rows_written);
  out.extend_from_slice(&meta.finish());
  out.push(b'}');
  out
}

pub async fn handle(State(app): State<Arc<App>>, req: Request) -> ApiResult {
  let (parts, body_in) = req.into_parts();
  let path = parts.uri.path();
  let name = decode_segment(path.strip_prefix("/api/d1/").unwrap_or_default());
  let v = read_json(&parts.headers, body_in).await?;
  let mut s = Schema::of(&v)?;
  let query = s.field("query", Ty::Str, false).and_then(Json::as_str);
  let params = s.field("params", Ty::Arr, true).and_then(Json::as_array);
  s.finish()?;
  // EdgeBase checks an empty query before the allowlist and the key.
  let query = query.filter(|q| !q.is_empty()).ok_or_else(|| {
    ApiError::bad_request("Missing required field 'query'. Send the SQL string in the request body.")
  })?;

  let Some(db) = app.stores.d1.get(&name) else {
    return Err(ApiError::not_found(format!(
      "D1 database '{name}' not found in config."
    )));
  };
  let scope = format!("d1:database:{name}:exec");
  require_key(
    &app,
    &parts,
    &scope,
    &format!("execute raw SQL on D1 database '{name}'"),
    &format!("D1 database '{name}'"),
  )?;

  let params = bind(&name, params.map_or(&[][..], Vec::as_slice))?;
  if let Some(rest) = second_statement(query) {
    let rest: String = rest.trim().chars().take(60).collect();
    return Err(failed(
      &name,
      format!("only one SQL statement per request is allowed; found more after the first: \"{rest}\""),
    ));
  }
  let work = Work::Query {
    sql: query.to_string(),
    params,
  };
  let reply = match db.submit(work) {
    Submitted::Ready(r) => r,
    Submitted::Pending(rx) => rx.await.unwrap_or_else(|_| {
      Err(D1Error::Storage(edgebase_engine::StorageError::engine(
        "the D1 worker thread stopped",
      )))
    }),
  };
  match reply {
    Ok(done) => match done.output {
      Output::Query(r) => Ok(json(body(&r))),
      _ => Err(ApiError::internal(path)),
    },
    Err(e @ D1Error::Storage(_)) => {
      eprintln!("@edgebase/native: D1 query on '{name}' failed: {e}");
      Err(ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("D1 query failed for '{name}': {e}"),
      ))
    }
    Err(e) => Err(failed(&name, e)),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn one_statement_rule() {
    for one in [
      "SELECT 1",
      "SELECT 1;",
      "SELECT 1;  -- trailing comment\n ;; /* block */ ",
      "SELECT ';' AS semi",
      "SELECT 1 AS \"a;b\"",
      "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = n + 1; DELETE FROM z; END;",
    ] {
      assert_eq!(second_statement(one), None, "{one}");
    }
    for two in [
      "SELECT 1; SELECT 2",
      "CREATE TABLE a(x); INSERT INTO a VALUES (1);",
      "SELECT 1;\n--c\nDROP TABLE x",
    ] {
      assert!(second_statement(two).is_some(), "{two}");
    }
  }

  #[test]
  fn binding_rules() {
    let v = bind(
      "db",
      &serde_json::from_str::<Vec<Json>>(r#"[null, true, false, 1, 1.5, "s", 9007199254740993]"#).unwrap(),
    )
    .unwrap();
    assert_eq!(
      v,
      vec![
        Value::Null,
        Value::Integer(1),
        Value::Integer(0),
        Value::Integer(1),
        Value::Real(1.5),
        Value::Text("s".into()),
        Value::Integer(9007199254740992)
      ]
    );
    assert_eq!(
      bind("db", &[serde_json::json!({"a": 1})]).unwrap_err().message,
      "D1 query failed for 'db': D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"
    );
    assert!(bind("db", &[serde_json::json!([1, 2])])
      .unwrap_err()
      .message
      .ends_with("value '1,2'"));
    assert!(bind("db", &vec![Json::Null; 101])
      .unwrap_err()
      .message
      .contains("too many parameters: 101"));
    assert!(bind("db", &vec![Json::Null; 100]).is_ok());
  }

  #[test]
  fn rows_keep_column_order_and_js_duplicates() {
    let r = QueryResult {
      columns: vec!["b".into(), "a".into(), "b".into()],
      values: vec![
        Value::Integer(1),
        Value::Text("x".into()),
        Value::Blob(vec![1, 2]),
      ],
      meta: Default::default(),
    };
    let out = String::from_utf8(body(&r)).unwrap();
    assert!(
      out.starts_with(r#"{"results":[{"b":[1,2],"a":"x"}],"meta":{"#),
      "{out}"
    );
  }
}
