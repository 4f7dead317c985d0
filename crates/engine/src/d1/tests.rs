use super::*;
use std::time::Instant;

fn db() -> D1Database {
  D1Database::in_memory("test").unwrap()
}

fn query(db: &D1Database, sql: &str, params: Vec<Value>) -> Result<QueryResult, D1Error> {
  match db
    .call(Work::Query {
      sql: sql.into(),
      params,
    })?
    .output
  {
    Output::Query(r) => Ok(r),
    _ => unreachable!(),
  }
}

fn ok(db: &D1Database, sql: &str) -> QueryResult {
  query(db, sql, vec![]).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn err(db: &D1Database, sql: &str, params: Vec<Value>) -> String {
  query(db, sql, params).expect_err(sql).to_string()
}

fn batch(db: &D1Database, stmts: &[(&str, Vec<Value>)]) -> Result<Vec<QueryResult>, D1Error> {
  let sql = stmts.iter().map(|(s, _)| s.to_string()).collect();
  let statements = stmts
    .iter()
    .enumerate()
    .map(|(i, (_, p))| (i, p.clone()))
    .collect();
  match db.call(Work::Batch { sql, statements })?.output {
    Output::Batch(r) => Ok(r),
    _ => unreachable!(),
  }
}

fn exec(db: &D1Database, sql: &str) -> Result<ExecResult, D1Error> {
  match db.call(Work::Exec(sql.into()))?.output {
    Output::Exec(r) => Ok(r),
    _ => unreachable!(),
  }
}

#[test]
fn values_round_trip_with_their_types() {
  let d = db();
  let r = query(
    &d,
    "SELECT ? AS n, ? AS i, ? AS r, ? AS t, ? AS b, typeof(?2) AS ti, typeof(?3) AS tr, ? AS e",
    vec![
      Value::Null,
      Value::from_number(42.0),
      Value::from_number(1.5),
      Value::Text("héllo".into()),
      Value::Blob(vec![0, 255]),
      Value::Blob(vec![]),
    ],
  )
  .unwrap();
  assert_eq!(r.columns, ["n", "i", "r", "t", "b", "ti", "tr", "e"]);
  assert_eq!(
    r.values,
    vec![
      Value::Null,
      Value::Integer(42),
      Value::Real(1.5),
      Value::Text("héllo".into()),
      Value::Blob(vec![0, 255]),
      Value::Text("integer".into()),
      Value::Text("real".into()),
      Value::Blob(vec![]),
    ]
  );
  assert_eq!(Value::from_number(f64::NAN), Value::Null);
  assert_eq!(Value::from_number(2f64.powi(60)), Value::Real(2f64.powi(60)));
}

#[test]
fn error_texts_follow_workerd() {
  let d = db();
  assert_eq!(
    err(&d, "SELECT * FROM missing", vec![]),
    "D1_ERROR: no such table: missing: SQLITE_ERROR"
  );
  let syntax = err(&d, "PUT x", vec![]);
  assert!(
    syntax.starts_with("D1_ERROR: near \"PUT\": syntax error at offset 0: SQLITE_ERROR"),
    "{syntax}"
  );
  ok(&d, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  ok(&d, "INSERT INTO t VALUES (1, 'a')");
  assert_eq!(
    err(&d, "INSERT INTO t VALUES (1, 'b')", vec![]),
    "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
  );
  assert_eq!(
    err(&d, "SELECT ? AS a, ? AS b", vec![Value::Integer(1)]),
    "D1_ERROR: Wrong number of parameter bindings for SQL query."
  );
  assert_eq!(
    err(&d, "SELECT ?; SELECT 2", vec![Value::Integer(1)]),
    "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters."
  );
  for blank in ["", "  ", "-- comment", "/* c */ ;"] {
    assert_eq!(err(&d, blank, vec![]), "D1_ERROR: No SQL statements detected.");
  }
}

#[test]
fn limits_are_workerds() {
  let d = db();
  let marks = vec!["?"; 101].join(",");
  let params = vec![Value::Integer(1); 101];
  let e = err(&d, &format!("SELECT {marks}"), params);
  assert!(
    e.starts_with("D1_ERROR: too many SQL variables at offset "),
    "{e}"
  );
  assert!(e.ends_with(": SQLITE_ERROR"), "{e}");
  let marks = vec!["?"; 100].join(",");
  assert!(query(&d, &format!("SELECT {marks}"), vec![Value::Integer(1); 100]).is_ok());
  let cols = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
  ok(&d, &format!("CREATE TABLE wide ({})", cols(100)));
  assert_eq!(
    err(&d, &format!("CREATE TABLE wider ({})", cols(101)), vec![]),
    "D1_ERROR: too many columns on wider: SQLITE_ERROR"
  );
  let long = format!("SELECT '{}'", "x".repeat(100_000));
  assert_eq!(
    err(&d, &long, vec![]),
    "D1_ERROR: statement too long: SQLITE_TOOBIG"
  );
  let e = err(&d, "SELECT 'a' LIKE ?", vec![Value::Text("%".repeat(51))]);
  assert_eq!(e, "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR");
  let big = Value::Blob(vec![0; 4 * 1024 * 1024 + 1]);
  assert_eq!(
    err(&d, "SELECT ?", vec![big]),
    "D1_ERROR: string or blob too big: SQLITE_TOOBIG"
  );
}

#[test]
fn transactions_reserved_names_attach_and_pragmas_are_refused() {
  let d = db();
  for sql in ["BEGIN TRANSACTION", "SAVEPOINT a", "COMMIT"] {
    assert_eq!(
      err(&d, sql, vec![]),
      format!("D1_ERROR: {TRANSACTION_MESSAGE}"),
      "{sql}"
    );
  }
  assert_eq!(
    err(&d, "CREATE TABLE _cf_x (a)", vec![]),
    "D1_ERROR: not authorized: SQLITE_AUTH"
  );
  assert_eq!(
    err(&d, "CREATE TABLE _CF_y (a)", vec![]),
    "D1_ERROR: not authorized: SQLITE_AUTH"
  );
  assert!(err(&d, "ATTACH 'x.db' AS x", vec![]).starts_with("D1_ERROR: "));
  assert_eq!(
    err(&d, "PRAGMA journal_mode=DELETE", vec![]),
    "D1_ERROR: not authorized: SQLITE_AUTH"
  );
  assert_eq!(
    err(&d, "SELECT sqlite_version()", vec![]),
    "D1_ERROR: not authorized to use function: sqlite_version at offset 7: SQLITE_ERROR"
  );
  ok(
    &d,
    "CREATE TABLE stamped (at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
  );
  ok(&d, "PRAGMA foreign_keys");
  ok(&d, "PRAGMA defer_foreign_keys = on");
  ok(&d, "CREATE TABLE cf_ok (a)");
}

#[test]
fn fts5_json_and_foreign_keys_work() {
  let d = db();
  ok(&d, "CREATE VIRTUAL TABLE docs USING fts5(body)");
  ok(
    &d,
    "INSERT INTO docs VALUES ('the quick brown fox'), ('lazy dogs')",
  );
  let r = ok(&d, "SELECT body FROM docs WHERE docs MATCH 'quick'");
  assert_eq!(r.values, vec![Value::Text("the quick brown fox".into())]);
  let r = ok(&d, r#"SELECT json_extract('{"a":[1,2]}', '$.a[1]') AS v"#);
  assert_eq!(r.values, vec![Value::Integer(2)]);
  ok(&d, "CREATE TABLE p (id INTEGER PRIMARY KEY)");
  ok(&d, "CREATE TABLE c (p INTEGER REFERENCES p(id))");
  assert_eq!(
    err(&d, "INSERT INTO c VALUES (7)", vec![]),
    "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
  );
}

#[test]
fn pragma_foreign_keys_off_is_a_no_op_as_in_d1() {
  // D1 runs every query in a transaction, where SQLite ignores `PRAGMA foreign_keys`.
  let d = db();
  ok(&d, "CREATE TABLE p (id INTEGER PRIMARY KEY)");
  ok(&d, "CREATE TABLE c (p INTEGER REFERENCES p(id))");
  let fk_failed =
    "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)";
  for off in [
    "PRAGMA foreign_keys = OFF",
    "PRAGMA foreign_keys=0",
    "pragma foreign_keys = false",
  ] {
    let r = ok(&d, off);
    assert_eq!((r.columns.len(), r.values.len()), (0, 0));
    assert_eq!(ok(&d, "PRAGMA foreign_keys").values, vec![Value::Integer(1)]);
    assert_eq!(err(&d, "INSERT INTO c VALUES (7)", vec![]), fk_failed);
  }
  // Also first in a multi-statement query (prepared before its transaction), a batch, exec.
  let multi = "PRAGMA foreign_keys = OFF; INSERT INTO c VALUES (8)";
  assert_eq!(err(&d, multi, vec![]), fk_failed);
  let off_then_insert = [
    ("PRAGMA foreign_keys = OFF", vec![]),
    ("INSERT INTO c VALUES (9)", vec![]),
  ];
  assert_eq!(batch(&d, &off_then_insert).unwrap_err().to_string(), fk_failed);
  assert!(exec(&d, "PRAGMA foreign_keys = OFF\nINSERT INTO c VALUES (10)").is_err());
  assert_eq!(ok(&d, "SELECT count(*) FROM c").values, vec![Value::Integer(0)]);
  ok(&d, "PRAGMA case_sensitive_like = ON");
  assert_eq!(ok(&d, "SELECT 'A' LIKE 'a' AS v").values, vec![Value::Integer(0)]);
  ok(&d, "PRAGMA case_sensitive_like = OFF");
}

#[test]
fn reals_come_back_as_d1s_json_carries_them() {
  let d = db();
  let r = ok(&d, "SELECT 1e999 AS a, -1e999 AS b, -0.0 AS z, 0.5 AS h");
  assert_eq!(
    r.values,
    vec![Value::Null, Value::Null, Value::Real(0.0), Value::Real(0.5)]
  );
  assert!(matches!(r.values[2], Value::Real(z) if z.is_sign_positive()));
}

#[test]
fn features_workerds_sqlite_lacks_are_missing() {
  let d = db();
  assert_eq!(
    err(&d, "SELECT soundex('x')", vec![]),
    "D1_ERROR: no such function: soundex at offset 7: SQLITE_ERROR"
  );
  assert_eq!(
    err(&d, "SELECT * FROM dbstat", vec![]),
    "D1_ERROR: no such table: dbstat: SQLITE_ERROR"
  );
  assert_eq!(
    err(&d, "CREATE VIRTUAL TABLE f USING fts4(x)", vec![]),
    "D1_ERROR: not authorized: SQLITE_AUTH"
  );
}

#[test]
fn meta_counts_rows_changes_and_size() {
  let d = db();
  ok(&d, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  let ins = ok(&d, "INSERT INTO t (v) VALUES ('a')");
  assert_eq!(
    (ins.meta.changes, ins.meta.last_row_id, ins.meta.changed_db),
    (1, 1, true)
  );
  assert_eq!(ins.meta.rows_written, 1);
  assert!(ins.meta.size_after > 0);
  ok(&d, "INSERT INTO t (v) VALUES ('b'), ('c')");
  let sel = ok(&d, "SELECT * FROM t");
  assert_eq!(sel.rows().count(), 3);
  assert_eq!((sel.meta.rows_read, sel.meta.rows_written), (3, 0));
  assert_eq!(
    (sel.meta.changes, sel.meta.changed_db, sel.meta.last_row_id),
    (0, false, 3)
  );
  let point = ok(&d, "SELECT v FROM t WHERE id = 2");
  assert_eq!(point.meta.rows_read, 1);
  let ret = ok(&d, "INSERT INTO t (v) VALUES ('d') RETURNING id");
  assert_eq!(ret.values, vec![Value::Integer(4)]);
  let del = ok(&d, "DELETE FROM t");
  assert_eq!((del.meta.changes, del.meta.rows_written), (4, 4));
  assert!(sel.meta.duration >= 0.0);
}

#[test]
fn several_statements_return_the_last_and_roll_back_together() {
  let d = db();
  let r = ok(&d, "SELECT 1; SELECT 2 AS two; -- trailing comment");
  assert_eq!(
    (r.columns.clone(), r.values.clone()),
    (vec!["two".to_string()], vec![Value::Integer(2)])
  );
  ok(&d, "CREATE TABLE t (a)");
  assert!(query(
    &d,
    "INSERT INTO t VALUES (1); INSERT INTO nope VALUES (2)",
    vec![]
  )
  .is_err());
  assert_eq!(
    ok(&d, "SELECT count(*) AS n FROM t").values,
    vec![Value::Integer(0)]
  );
}

#[test]
fn batch_is_one_transaction() {
  let d = db();
  ok(&d, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  let e = batch(
    &d,
    &[
      ("INSERT INTO t VALUES (?)", vec![Value::Integer(5)]),
      ("INSERT INTO nope VALUES (1)", vec![]),
      ("INSERT INTO t VALUES (?)", vec![Value::Integer(7)]),
    ],
  )
  .unwrap_err();
  assert_eq!(e.to_string(), "D1_ERROR: no such table: nope: SQLITE_ERROR");
  assert_eq!(ok(&d, "SELECT count(*) FROM t").values, vec![Value::Integer(0)]);
  let r = batch(
    &d,
    &[
      ("INSERT INTO t VALUES (?)", vec![Value::Integer(5)]),
      ("SELECT id FROM t", vec![]),
    ],
  )
  .unwrap();
  assert_eq!(r.len(), 2);
  assert_eq!(r[1].values, vec![Value::Integer(5)]);
  assert_eq!(
    batch(&d, &[]).unwrap_err().to_string(),
    "D1_ERROR: No SQL statements detected."
  );
}

#[test]
fn exec_splits_lines_and_reports_line_one() {
  let d = db();
  assert_eq!(exec(&d, "CREATE TABLE a(x);CREATE TABLE b(y)").unwrap().count, 1);
  assert_eq!(exec(&d, "\n\nSELECT 1\n\n-- note\nSELECT 2").unwrap().count, 2);
  assert_eq!(
    exec(&d, "SELECT 1\nINVALID SQL").unwrap_err().to_string(),
    "D1_EXEC_ERROR: Error in line 1: SELECT 1: near \"INVALID\": syntax error at offset 0: SQLITE_ERROR"
  );
  assert_eq!(
    exec(&d, "").unwrap_err().to_string(),
    "D1_EXEC_ERROR: Error in line 1: : No SQL statements detected."
  );
  let e = exec(&d, "CREATE TABLE t (\n x INT\n)").unwrap_err().to_string();
  assert!(
    e.starts_with("D1_EXEC_ERROR: Error in line 1: CREATE TABLE t (: incomplete input"),
    "{e}"
  );
  // All lines commit together.
  assert!(exec(&d, "INSERT INTO a VALUES (1)\nINSERT INTO zz VALUES (1)").is_err());
  assert_eq!(ok(&d, "SELECT count(*) FROM a").values, vec![Value::Integer(0)]);
}

#[test]
fn slow_work_leaves_the_calling_thread_and_still_completes() {
  let d = db();
  ok(&d, "CREATE TABLE n (v)");
  ok(&d, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200000) INSERT INTO n SELECT x FROM c");
  let sql = "SELECT sum(v) AS s FROM n".to_string();
  let started = Instant::now();
  let first = d.submit(Work::Query {
    sql: sql.clone(),
    params: vec![],
  });
  assert!(
    matches!(first, Submitted::Pending(_)),
    "a long aggregate must be queued"
  );
  assert!(started.elapsed().as_millis() < 50);
  let Submitted::Pending(rx) = first else {
    unreachable!()
  };
  let Output::Query(r) = rx.blocking_recv().unwrap().unwrap().output else {
    unreachable!()
  };
  assert_eq!(r.values, vec![Value::Integer(200000 * 200001 / 2)]);
  assert!(matches!(
    d.submit(Work::Query { sql, params: vec![] }),
    Submitted::Pending(_)
  ));
  let quick = d.submit(Work::Query {
    sql: "SELECT 1".into(),
    params: vec![],
  });
  // The queued aggregate may still run; ordering then queues the quick query too.
  match quick {
    Submitted::Ready(r) => assert!(r.is_ok()),
    Submitted::Pending(rx) => assert!(rx.blocking_recv().unwrap().is_ok()),
  }
}

#[test]
fn bookmarks_grow_with_commits_and_dump_is_a_database() {
  let d = db();
  let b0 = d
    .call(Work::Query {
      sql: "SELECT 1".into(),
      params: vec![],
    })
    .unwrap()
    .bookmark;
  let b1 = d.call(Work::Exec("CREATE TABLE t (a)".into())).unwrap().bookmark;
  let b2 = d
    .call(Work::Query {
      sql: "SELECT 1".into(),
      params: vec![],
    })
    .unwrap()
    .bookmark;
  assert!(b1 > b0, "{b1} > {b0}");
  assert_eq!(b1, b2);
  let Output::Dump(bytes) = d.call(Work::Dump).unwrap().output else {
    unreachable!()
  };
  assert!(bytes.starts_with(b"SQLite format 3\0"));
}

#[test]
fn persisted_files_are_plain_wal_databases() {
  let dir = tempfile::tempdir().unwrap();
  let d = D1Database::persistent(dir.path(), "main").unwrap();
  ok(&d, "CREATE TABLE t (a)");
  ok(&d, "INSERT INTO t VALUES ('x')");
  let path = dir.path().join("d1").join("main.sqlite");
  assert_eq!(d.path().unwrap(), path.canonicalize().unwrap());
  let other = rusqlite::Connection::open(&path).unwrap();
  let v: String = other.query_row("SELECT a FROM t", [], |r| r.get(0)).unwrap();
  assert_eq!(v, "x");
  let mode: String = other.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
  assert_eq!(mode, "wal");
  d.close();
  assert!(!d.is_open());
  assert!(query(&d, "SELECT 1", vec![])
    .unwrap_err()
    .to_string()
    .contains("is closed"));
}

#[test]
fn the_wal_is_checkpointed_without_sqlites_auto_checkpoint() {
  let dir = tempfile::tempdir().unwrap();
  let d = D1Database::persistent(dir.path(), "wal").unwrap();
  ok(&d, "CREATE TABLE t (v TEXT)");
  let file = dir.path().join("d1").join("wal.sqlite");
  let initial = std::fs::metadata(&file).unwrap().len();
  for i in 0..3000 {
    query(
      &d,
      "INSERT INTO t VALUES (?)",
      vec![Value::Text(format!("row {i:>200}"))],
    )
    .unwrap();
  }
  // Let the worker finish a checkpoint queued by the last inline insert.
  ok(&d, "SELECT 1");
  std::thread::sleep(std::time::Duration::from_millis(200));
  let main = std::fs::metadata(&file).unwrap().len();
  let wal = std::fs::metadata(dir.path().join("d1").join("wal.sqlite-wal"))
    .unwrap()
    .len();
  assert!(
    main > initial + 100 * 4096,
    "pages reached the database file: {initial} -> {main}"
  );
  assert!(
    wal < 8 * 1024 * 1024,
    "the WAL is reused, not grown without bound: {wal}"
  );
  assert_eq!(
    ok(&d, "SELECT count(*) FROM t").values,
    vec![Value::Integer(3000)]
  );
}

use crate::wait::block_on;

#[test]
fn async_callers_get_inline_and_queued_results() {
  let d = db();
  let slow =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000) SELECT count(*) FROM c";
  for sql in ["SELECT 7", slow, slow] {
    let done = block_on(d.call_async(Work::Query {
      sql: sql.into(),
      params: vec![],
    }))
    .unwrap();
    let Output::Query(r) = done.output else {
      unreachable!()
    };
    assert_eq!(r.values.len(), 1);
  }
  d.close();
  assert!(block_on(d.call_async(Work::Dump))
    .unwrap_err()
    .to_string()
    .contains("is closed"));
}
