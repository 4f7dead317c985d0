//! The engine's synchronous calls that wait for its own threads work from inside a tokio runtime
//! (an embedder's async handler, `#[tokio::test]`): tokio's `blocking_recv` used to panic there
//! with "Cannot block the current thread from within a runtime".

use edgebase_engine::d1::{D1Database, Output, Work};
use edgebase_engine::vectorize::{IndexOptions, QueryOptions, VectorInput, VectorizeIndex};
use edgebase_engine::Clock;

fn options() -> IndexOptions {
  IndexOptions {
    dimensions: Some(128.0),
    metric: Some("cosine".into()),
    metadata_indexes: vec![("tenant".into(), "string".into())],
  }
}

/// Opening with metadata indexes waits for their creation; a 256K-float scan is answered by the
/// search thread; a long D1 query is queued to its worker. All three block the caller.
fn exercise(dir: &std::path::Path) {
  let ix = VectorizeIndex::persistent(dir, "docs", &options(), Clock::System).unwrap();
  let n = 2000;
  let values: Vec<f32> = (0..n * 128)
    .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
    .collect();
  for batch in 0..2 {
    let ids = batch * 1000..(batch + 1) * 1000;
    let inputs = ids
      .clone()
      .map(|i| VectorInput {
        id: format!("v{i}"),
        namespace: None,
        metadata: Some(format!("{{\"tenant\":\"t{}\"}}", i % 3)),
      })
      .collect();
    let pending = ix
      .upsert(inputs, &values[ids.start * 128..ids.end * 128], &[128; 1000])
      .unwrap();
    edgebase_engine::wait::block_on(pending.done).unwrap().unwrap();
  }
  let plan = ix
    .plan(Some(&values[..128]), None, QueryOptions::default())
    .unwrap();
  let matches = ix.query_blocking(plan).unwrap();
  assert_eq!(matches[0].id, "v0");
  ix.close();
  let again = VectorizeIndex::persistent(dir, "docs", &options(), Clock::System).unwrap();
  assert_eq!(again.describe(true).unwrap().unwrap().vector_count, n);
  again.close();

  let db = D1Database::in_memory("db").unwrap();
  let sql =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000) SELECT count(*) FROM c";
  let done = db
    .call(Work::Query {
      sql: sql.into(),
      params: vec![],
    })
    .unwrap();
  assert!(matches!(done.output, Output::Query(_)));
  db.close();
}

#[test]
fn blocking_calls_work_inside_a_current_thread_runtime() {
  let dir = tempfile::tempdir().unwrap();
  let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
  rt.block_on(async { exercise(dir.path()) });
}

#[test]
fn blocking_calls_work_on_a_multi_thread_runtime_worker() {
  let dir = tempfile::tempdir().unwrap();
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(2)
    .build()
    .unwrap();
  let path = dir.path().to_path_buf();
  rt.block_on(async move { tokio::spawn(async move { exercise(&path) }).await.unwrap() });
}
