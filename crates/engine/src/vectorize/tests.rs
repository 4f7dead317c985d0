use super::*;

fn opts(dims: usize, metric: &str) -> IndexOptions {
  IndexOptions {
    dimensions: Some(dims as f64),
    metric: Some(metric.into()),
    metadata_indexes: Vec::new(),
  }
}

fn index(dims: usize, metric: &str) -> VectorizeIndex {
  VectorizeIndex::in_memory("t", &opts(dims, metric), Clock::manual(1_700_000_000_123)).unwrap()
}

fn wait(p: Result<Pending, VectorizeError>) -> Result<String, VectorizeError> {
  let p = p?;
  p.done.blocking_recv().unwrap()?;
  Ok(p.mutation_id)
}

fn v(id: &str, ns: Option<&str>, meta: Option<&str>) -> VectorInput {
  VectorInput {
    id: id.into(),
    namespace: ns.map(Into::into),
    metadata: meta.map(Into::into),
  }
}

/// `(id, values, namespace, metadata)`.
type Row<'a> = (&'a str, Vec<f32>, Option<&'a str>, Option<&'a str>);

fn upsert(ix: &VectorizeIndex, rows: &[Row<'_>]) {
  let inputs = rows.iter().map(|r| v(r.0, r.2, r.3)).collect();
  let values: Vec<f32> = rows.iter().flat_map(|r| r.1.clone()).collect();
  let lengths: Vec<u32> = rows.iter().map(|r| r.1.len() as u32).collect();
  wait(ix.upsert(inputs, &values, &lengths)).unwrap();
}

fn query(ix: &VectorizeIndex, q: &[f32], o: QueryOptions) -> Vec<Match> {
  let plan = ix.plan(Some(q), None, o).unwrap();
  ix.query_blocking(plan).unwrap()
}

fn ids(m: &[Match]) -> Vec<&str> {
  m.iter().map(|m| m.id.as_str()).collect()
}

fn top(k: usize) -> QueryOptions {
  QueryOptions {
    top_k: Some(k as f64),
    ..Default::default()
  }
}

fn filtered(k: usize, filter: &str) -> QueryOptions {
  QueryOptions {
    top_k: Some(k as f64),
    filter: Some(filter.into()),
    ..Default::default()
  }
}

/// Deterministic pseudo-random floats in [-1, 1).
fn rng(seed: u64) -> impl FnMut() -> f32 {
  let mut s = seed
    .wrapping_mul(6364136223846793005)
    .wrapping_add(1442695040888963407);
  move || {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
  }
}

#[test]
fn scores_match_a_float64_reference_for_every_metric() {
  let (n, d) = (3000, 37);
  let mut r = rng(1);
  let data: Vec<Vec<f32>> = (0..n).map(|_| (0..d).map(|_| r()).collect()).collect();
  for metric in ["cosine", "euclidean", "dot-product"] {
    let ix = index(d, metric);
    for chunk in data.chunks(1000).enumerate() {
      let rows: Vec<_> = chunk
        .1
        .iter()
        .enumerate()
        .map(|(i, x)| (format!("v{}", chunk.0 * 1000 + i), x.clone()))
        .collect();
      let rows: Vec<_> = rows
        .iter()
        .map(|(id, x)| (id.as_str(), x.clone(), None, None))
        .collect();
      upsert(&ix, &rows);
    }
    for qi in 0..5 {
      let q: Vec<f32> = (0..d).map(|_| r()).collect();
      let mut reference: Vec<(f64, usize)> = data
        .iter()
        .enumerate()
        .map(|(i, x)| {
          let dot: f64 = q.iter().zip(x).map(|(a, b)| *a as f64 * *b as f64).sum();
          let nq: f64 = q.iter().map(|a| (*a as f64).powi(2)).sum::<f64>().sqrt();
          let nx: f64 = x.iter().map(|a| (*a as f64).powi(2)).sum::<f64>().sqrt();
          let l2: f64 = q
            .iter()
            .zip(x)
            .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
            .sum::<f64>()
            .sqrt();
          match metric {
            "cosine" => (dot / (nq * nx), i),
            "euclidean" => (l2, i),
            _ => (-dot, i),
          }
        })
        .collect();
      if metric == "cosine" {
        reference.sort_by(|a, b| b.0.total_cmp(&a.0));
      } else {
        reference.sort_by(|a, b| a.0.total_cmp(&b.0));
      }
      let got = query(&ix, &q, top(10));
      assert_eq!(got.len(), 10, "{metric} query {qi}");
      for (m, (score, _)) in got.iter().zip(&reference) {
        assert!(
          (m.score - score).abs() < 1e-4 * score.abs().max(1.0),
          "{metric}: {} vs {score}",
          m.score
        );
      }
      // The same set of ids (ties aside, random data has none at this precision).
      let want: Vec<String> = reference[..10].iter().map(|(_, i)| format!("v{i}")).collect();
      assert_eq!(
        ids(&got),
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{metric}"
      );
    }
  }
}

#[test]
fn cloudflare_score_conventions() {
  let cos = index(2, "cosine");
  upsert(
    &cos,
    &[
      ("a", vec![1.0, 0.0], None, None),
      ("b", vec![0.0, 1.0], None, None),
      ("c", vec![-1.0, 0.0], None, None),
    ],
  );
  let m = query(&cos, &[2.0, 0.0], top(3));
  assert_eq!(ids(&m), ["a", "b", "c"]);
  assert!((m[0].score - 1.0).abs() < 1e-6 && m[1].score.abs() < 1e-6 && (m[2].score + 1.0).abs() < 1e-6);

  let l2 = index(2, "euclidean");
  upsert(
    &l2,
    &[
      ("far", vec![3.0, 4.0], None, None),
      ("near", vec![0.0, 0.0], None, None),
    ],
  );
  let m = query(&l2, &[0.0, 0.0], top(2));
  assert_eq!(ids(&m), ["near", "far"]);
  assert_eq!((m[0].score, m[1].score), (0.0, 5.0));

  let dp = index(2, "dot-product");
  upsert(
    &dp,
    &[
      ("small", vec![1.0, 0.0], None, None),
      ("big", vec![10.0, 0.0], None, None),
      ("neg", vec![-5.0, 0.0], None, None),
    ],
  );
  let m = query(&dp, &[100.0, 0.0], top(3));
  assert_eq!(ids(&m), ["big", "small", "neg"]);
  assert_eq!(
    m.iter().map(|m| m.score).collect::<Vec<_>>(),
    [-1000.0, -100.0, 500.0]
  );
}

#[test]
fn zero_vectors_score_zero_under_cosine() {
  let ix = index(2, "cosine");
  upsert(
    &ix,
    &[
      ("zero", vec![0.0, 0.0], None, None),
      ("x", vec![1.0, 0.0], None, None),
    ],
  );
  let m = query(&ix, &[1.0, 0.0], top(2));
  assert_eq!(ids(&m), ["x", "zero"]);
  assert_eq!(m[1].score, 0.0);
  let m = query(&ix, &[0.0, 0.0], top(2));
  assert!(m.iter().all(|m| m.score == 0.0));
}

#[test]
fn insert_skips_existing_ids_and_upsert_replaces_everything() {
  let ix = index(2, "cosine");
  wait(ix.insert(vec![v("a", None, Some("{\"k\":1}"))], &[1.0, 2.0], &[2])).unwrap();
  wait(ix.insert(
    vec![v("a", Some("ns"), None), v("b", None, None)],
    &[9.0, 9.0, 3.0, 4.0],
    &[2, 2],
  ))
  .unwrap();
  let got = ix
    .get_by_ids(&["a".into(), "b".into(), "missing".into(), "a".into()], true)
    .map(Option::unwrap)
    .unwrap();
  assert_eq!(got.len(), 2);
  assert_eq!(
    (
      got[0].values.clone(),
      got[0].metadata.as_str(),
      got[0].namespace.clone()
    ),
    (vec![1.0, 2.0], "{\"k\":1}", None)
  );
  upsert(&ix, &[("a", vec![5.0, 6.0], Some("ns"), None)]);
  let got = ix.get_by_ids(&["a".into()], true).map(Option::unwrap).unwrap();
  assert_eq!(
    (
      got[0].values.clone(),
      got[0].metadata.as_str(),
      got[0].namespace.as_deref()
    ),
    (vec![5.0, 6.0], "{}", Some("ns"))
  );
  // Duplicates in one batch: insert keeps the first, upsert the last.
  wait(ix.insert(
    vec![v("d", None, None), v("d", None, None)],
    &[1.0, 0.0, 0.0, 1.0],
    &[2, 2],
  ))
  .unwrap();
  assert_eq!(
    ix.get_by_ids(&["d".into()], true).map(Option::unwrap).unwrap()[0].values,
    vec![1.0, 0.0]
  );
  wait(ix.upsert(
    vec![v("d", None, None), v("d", None, None)],
    &[1.0, 0.0, 0.0, 1.0],
    &[2, 2],
  ))
  .unwrap();
  assert_eq!(
    ix.get_by_ids(&["d".into()], true).map(Option::unwrap).unwrap()[0].values,
    vec![0.0, 1.0]
  );
  assert_eq!(ix.describe(true).unwrap().unwrap().vector_count, 3);
}

#[test]
fn validation_texts() {
  let ix = index(3, "cosine");
  let err = |r: Result<Pending, VectorizeError>| r.err().unwrap().to_string();
  assert_eq!(
    err(ix.insert(vec![v("a", None, None)], &[1.0, 2.0], &[2])),
    "VECTOR_INSERT_ERROR (code = 40012): invalid vector for id=\"a\", expected 3 dimensions, and got 2 dimensions"
  );
  assert_eq!(
    err(ix.upsert(vec![v(&"x".repeat(65), None, None)], &[1.0; 3], &[3])),
    "VECTOR_UPSERT_ERROR (code = 40004): id too long; max is 64 bytes, got 65 bytes"
  );
  assert_eq!(
    err(ix.upsert(vec![], &[], &[])),
    "VECTOR_UPSERT_ERROR (code = 40007): no vectors provided; at least 1 vector is required"
  );
  let many: Vec<VectorInput> = (0..1001).map(|i| v(&i.to_string(), None, None)).collect();
  assert_eq!(
    err(ix.insert(many, &[1.0; 3003], &[3; 1001])),
    "VECTOR_INSERT_ERROR (code = 40007): too many vectors; max is 1000 per request, got 1001"
  );
  assert_eq!(
    err(ix.insert(vec![v("n", Some(&"n".repeat(65)), None)], &[1.0; 3], &[3])),
    "VECTOR_INSERT_ERROR (code = 40005): namespace too long; max is 64 bytes, got 65 bytes"
  );
  assert_eq!(
    err(ix.insert(vec![v("nan", None, None)], &[1.0, f32::NAN, 0.0], &[3])),
    "VECTOR_INSERT_ERROR (code = 40008): invalid vector for id=\"nan\", values must be finite 32-bit floating point numbers"
  );
  let big = format!("{{\"k\":\"{}\"}}", "x".repeat(10 * 1024));
  assert_eq!(
    err(ix.insert(vec![v("m", None, Some(&big))], &[1.0; 3], &[3])),
    format!(
      "VECTOR_INSERT_ERROR (code = 40006): metadata too large for id=\"m\"; max is 10240 bytes, got {} bytes",
      big.len()
    )
  );
  assert_eq!(
    err(ix.insert(vec![v("m", None, Some("[1]"))], &[1.0; 3], &[3])),
    "VECTOR_INSERT_ERROR (code = 40006): invalid metadata for id=\"m\", metadata must be an object"
  );
  let plan_err = |o: QueryOptions| ix.plan(Some(&[1.0, 0.0, 0.0]), None, o).unwrap_err().to_string();
  assert_eq!(
    ix.plan(Some(&[1.0]), None, QueryOptions::default())
      .unwrap_err()
      .to_string(),
    "VECTOR_QUERY_ERROR (code = 40012): expected 3 dimensions, got 1"
  );
  assert_eq!(
    plan_err(top(101)),
    "VECTOR_QUERY_ERROR (code = 40025): max top K is 100, but got 101"
  );
  assert_eq!(
    plan_err(QueryOptions {
      top_k: Some(60.0),
      return_metadata: Some("all".into()),
      ..Default::default()
    }),
    "VECTOR_QUERY_ERROR (code = 40025): max top K is 50, but got 60"
  );
  assert_eq!(
    plan_err(top(0)),
    "VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got 0"
  );
  assert_eq!(
    plan_err(QueryOptions {
      top_k: Some(2.5),
      ..Default::default()
    }),
    "VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got 2.5"
  );
  assert_eq!(
    plan_err(QueryOptions {
      return_metadata: Some("some".into()),
      ..Default::default()
    }),
    "Invalid returnMetadata option. Expected: true, false, \"none\", \"indexed\" or \"all\"; got: some"
  );
}

#[test]
fn filter_validation_texts() {
  let bad = |f: &str| Filter::parse(f).unwrap_err().to_string();
  let p = "VECTOR_QUERY_ERROR (code = 40026): invalid filter: ";
  assert_eq!(bad("{}"), format!("{p}filter must be a non-empty object"));
  assert_eq!(bad("[1]"), format!("{p}filter must be a non-empty object"));
  assert_eq!(
    bad("{\"$or\":1}"),
    format!("{p}invalid key \"$or\": keys cannot start with \"$\"")
  );
  assert_eq!(
    bad("{\"\":1}"),
    format!("{p}invalid key \"\": keys cannot be empty")
  );
  assert_eq!(
    bad("{\"a\\\"b\":1}"),
    format!("{p}invalid key \"a\"b\": keys cannot contain '\"'")
  );
  assert!(
    bad(&format!("{{\"{}\":1}}", "k".repeat(513))).ends_with("keys cannot be longer than 512 characters")
  );
  assert!(bad("{\"a..b\":1}").contains("empty property name"));
  assert!(
    bad(&format!("{{\"a\":\"{}\"}}", "x".repeat(2040))).starts_with(&format!(
      "{p}filter must be less than 2048 bytes of compact JSON, got"
    ))
  );
  assert!(Filter::parse(&format!("{{\"a\":\"{}\"}}", "x".repeat(2040 - 8))).is_ok());
  assert_eq!(
    bad("{\"t\":{\"$gt\":1,\"$gte\":2}}"),
    format!("{p}invalid operator combination for key \"t\": only one lower bound ($gt, $gte) and one upper bound ($lt, $lte) may be combined")
  );
  assert!(bad("{\"t\":{\"$eq\":1,\"$lt\":2}}").contains("invalid operator combination"));
  assert!(bad("{\"t\":{\"$or\":[1]}}").contains("unsupported operator \"$or\""));
  assert!(bad("{\"t\":{\"$in\":1}}").contains("invalid operand of \"$in\" for key \"t\": expected an array"));
  assert!(bad("{\"t\":{\"$lt\":true}}").contains("expected a string or a number"));
  assert!(bad("{\"t\":[1]}").contains("invalid value for key \"t\""));
  assert!(bad("{\"t\":{}}").contains("no operator given"));
  assert!(
    Filter::parse("{\"a\":{\"$gte\":1,\"$lt\":2},\"b\":null,\"c\":{\"$in\":[\"x\",null,1,true]}}").is_ok()
  );
}

fn meta_index(ix: &VectorizeIndex, p: &str, ty: &str) {
  wait(ix.create_metadata_index(p, ty)).unwrap();
}

#[test]
fn filters_prune_with_metadata_indexes() {
  let ix = index(2, "euclidean");
  upsert(
    &ix,
    &[("before", vec![0.0, 0.0], None, Some("{\"genre\":\"scifi\"}"))],
  );
  meta_index(&ix, "genre", "string");
  meta_index(&ix, "ts", "number");
  meta_index(&ix, "ok", "boolean");
  meta_index(&ix, "pandas.nice", "number");
  let rows = [
    (
      "a",
      "{\"genre\":\"scifi\",\"ts\":10,\"ok\":true,\"pandas\":{\"nice\":42}}",
    ),
    ("b", "{\"genre\":\"drama\",\"ts\":15,\"ok\":false}"),
    ("c", "{\"genre\":\"scifi\",\"ts\":20,\"ok\":true}"),
    ("d", "{\"genre\":\"netflix\",\"ts\":\"x\"}"),
    ("e", "{\"genre\":\"neutral\",\"ts\":-0.0}"),
    ("f", "{\"genre\":7}"),
  ];
  let data: Vec<_> = rows
    .iter()
    .enumerate()
    .map(|(i, (id, m))| (*id, vec![i as f32 + 1.0, 0.0], None, Some(*m)))
    .collect();
  upsert(&ix, &data);
  let q = [0.0, 0.0];
  let f = |filter: &str| {
    let mut got: Vec<String> = query(&ix, &q, filtered(100, filter))
      .into_iter()
      .map(|m| m.id)
      .collect();
    got.sort();
    got
  };
  // Vectors written before the index existed are not in it.
  assert_eq!(f("{\"genre\":\"scifi\"}"), ["a", "c"]);
  assert_eq!(f("{\"genre\":{\"$eq\":\"scifi\"}}"), ["a", "c"]);
  assert_eq!(f("{\"genre\":{\"$ne\":\"scifi\"}}"), ["b", "d", "e"]);
  assert_eq!(f("{\"genre\":{\"$in\":[\"drama\",\"netflix\",7]}}"), ["b", "d"]);
  assert_eq!(
    f("{\"genre\":{\"$nin\":[\"drama\",\"netflix\"]}}"),
    ["a", "c", "e"]
  );
  assert_eq!(f("{\"ts\":{\"$gte\":10,\"$lt\":20}}"), ["a", "b"]);
  assert_eq!(f("{\"ts\":{\"$gt\":10,\"$lte\":20}}"), ["b", "c"]);
  assert_eq!(f("{\"ts\":0}"), ["e"]);
  assert_eq!(f("{\"ts\":{\"$lt\":\"z\"}}"), Vec::<String>::new());
  assert_eq!(f("{\"genre\":{\"$gte\":\"net\",\"$lt\":\"neu\"}}"), ["d"]);
  assert_eq!(f("{\"pandas.nice\":42}"), ["a"]);
  assert_eq!(f("{\"ok\":true,\"genre\":\"scifi\"}"), ["a", "c"]);
  assert_eq!(f("{\"ok\":true,\"ts\":20}"), ["c"]);
  assert_eq!(f("{\"ok\":false,\"genre\":\"scifi\"}"), Vec::<String>::new());
  assert_eq!(f("{\"unindexed\":1}"), Vec::<String>::new());
  assert_eq!(f("{\"genre\":null}"), Vec::<String>::new());
  // Re-upserting a vector written before the index makes it filterable.
  upsert(
    &ix,
    &[("before", vec![0.0, 0.0], None, Some("{\"genre\":\"scifi\"}"))],
  );
  assert_eq!(f("{\"genre\":\"scifi\"}"), ["a", "before", "c"]);
  // Top-K comes from the filtered set, nearest first.
  let m = query(&ix, &q, filtered(1, "{\"genre\":\"scifi\"}"));
  assert_eq!(ids(&m), ["before"]);
  // Upsert replaces the indexed values; delete drops them.
  upsert(&ix, &[("a", vec![1.0, 0.0], None, Some("{\"genre\":\"drama\"}"))]);
  assert_eq!(f("{\"genre\":\"drama\"}"), ["a", "b"]);
  wait(ix.delete_by_ids(vec!["b".into()])).unwrap();
  assert_eq!(f("{\"genre\":\"drama\"}"), ["a"]);
}

#[test]
fn strings_are_indexed_on_their_first_64_bytes() {
  let ix = index(1, "cosine");
  meta_index(&ix, "s", "string");
  let long = format!("{}€tail", "x".repeat(62)); // '€' is 3 bytes: straddles byte 64
  let meta = format!("{{\"s\":\"{long}\",\"other\":1}}");
  upsert(&ix, &[("a", vec![1.0], None, Some(&meta))]);
  let prefix = "x".repeat(62);
  assert_eq!(
    query(&ix, &[1.0], filtered(5, &format!("{{\"s\":\"{prefix}\"}}"))).len(),
    1
  );
  assert_eq!(
    query(&ix, &[1.0], filtered(5, &format!("{{\"s\":\"{long}\"}}"))).len(),
    1
  );
  let indexed = query(
    &ix,
    &[1.0],
    QueryOptions {
      return_metadata: Some("indexed".into()),
      ..Default::default()
    },
  );
  assert_eq!(
    indexed[0].metadata.as_deref(),
    Some(format!("{{\"s\":\"{prefix}\"}}").as_str())
  );
  let all = query(
    &ix,
    &[1.0],
    QueryOptions {
      return_metadata: Some("all".into()),
      ..Default::default()
    },
  );
  assert_eq!(all[0].metadata.as_deref(), Some(meta.as_str()));
}

#[test]
fn namespaces_scope_queries() {
  let ix = index(2, "cosine");
  upsert(
    &ix,
    &[
      ("a", vec![1.0, 0.0], Some("ns1"), None),
      ("b", vec![1.0, 0.1], None, None),
      ("c", vec![1.0, 0.2], Some("ns2"), None),
    ],
  );
  let ns = |n: &str| QueryOptions {
    namespace: Some(n.into()),
    top_k: Some(10.0),
    ..Default::default()
  };
  let m = query(&ix, &[1.0, 0.0], ns("ns1"));
  assert_eq!(ids(&m), ["a"]);
  assert_eq!(m[0].namespace.as_deref(), Some("ns1"));
  assert!(query(&ix, &[1.0, 0.0], ns("none")).is_empty());
  assert_eq!(query(&ix, &[1.0, 0.0], top(10)).len(), 3);
}

#[test]
fn batched_queries_answer_like_single_ones() {
  let (n, d) = (20_000, 16);
  let ix = index(d, "cosine");
  let mut r = rng(7);
  for c in 0..n / 1000 {
    let rows: Vec<_> = (0..1000)
      .map(|i| {
        (
          format!("{}", c * 1000 + i),
          (0..d).map(|_| r()).collect::<Vec<f32>>(),
        )
      })
      .collect();
    let rows: Vec<_> = rows
      .iter()
      .map(|(id, x)| (id.as_str(), x.clone(), None, None))
      .collect();
    upsert(&ix, &rows);
  }
  let queries: Vec<Vec<f32>> = (0..40).map(|_| (0..d).map(|_| r()).collect()).collect();
  let store = ix.store.read().unwrap();
  let store = store.as_ref().unwrap();
  let receivers: Vec<_> = queries
    .iter()
    .map(|q| store.submit_query(ix.plan(Some(q), None, top(7)).unwrap()))
    .collect();
  for (q, rx) in queries.iter().zip(receivers) {
    let batched = rx.blocking_recv().unwrap().unwrap();
    let single = store
      .query_with(&store.read(), &ix.plan(Some(q), None, top(7)).unwrap())
      .unwrap();
    assert_eq!(batched, single);
  }
}

#[test]
fn deletes_are_compacted_and_everything_follows_the_moves() {
  let ix = index(4, "euclidean");
  meta_index(&ix, "k", "number");
  for c in 0..5 {
    let rows: Vec<_> = (0..1000)
      .map(|i| {
        let n = c * 1000 + i;
        (
          format!("{n}"),
          vec![n as f32, 0.0, 0.0, 0.0],
          format!("{{\"k\":{}}}", n % 10),
        )
      })
      .collect();
    let rows: Vec<_> = rows
      .iter()
      .map(|(id, x, m)| (id.as_str(), x.clone(), None, Some(m.as_str())))
      .collect();
    upsert(&ix, &rows);
  }
  assert_eq!(ix.arena_stats().unwrap().0, 5000);
  for c in 0..4 {
    wait(ix.delete_by_ids((0..1000).map(|i| format!("{}", c * 1000 + i)).collect())).unwrap();
  }
  let (slots, live, _) = ix.arena_stats().unwrap();
  assert_eq!(live, 1000);
  assert!(
    slots <= 1300,
    "arena not compacted: {slots} slots for {live} vectors"
  );
  let m = query(&ix, &[4500.0, 0.0, 0.0, 0.0], filtered(3, "{\"k\":3}"));
  assert_eq!(ids(&m), ["4503", "4493", "4513"]);
  let got = ix
    .get_by_ids(&["4999".into(), "0".into()], true)
    .map(Option::unwrap)
    .unwrap();
  assert_eq!(got.len(), 1);
  assert_eq!(got[0].values, vec![4999.0, 0.0, 0.0, 0.0]);
  // Holes are reused by new vectors.
  upsert(&ix, &[("new", vec![-1.0, 0.0, 0.0, 0.0], None, None)]);
  assert_eq!(ix.describe(true).unwrap().unwrap().vector_count, 1001);
}

#[test]
fn metadata_index_admin_rules() {
  let ix = index(1, "cosine");
  for i in 0..10 {
    meta_index(&ix, &format!("p{i}"), "string");
  }
  assert_eq!(
    wait(ix.create_metadata_index("p10", "string"))
      .unwrap_err()
      .to_string(),
    "METADATA_INDEX_CREATE_ERROR (code = 40030): max metadata indexes per index is 10"
  );
  assert_eq!(
    wait(ix.create_metadata_index("p1", "number"))
      .unwrap_err()
      .to_string(),
    "METADATA_INDEX_CREATE_ERROR (code = 40030): metadata index for property \"p1\" already exists"
  );
  assert_eq!(
    wait(ix.create_metadata_index("x", "date")).unwrap_err().to_string(),
    "METADATA_INDEX_CREATE_ERROR (code = 40030): invalid metadata index type \"date\"; expected \"string\", \"number\" or \"boolean\""
  );
  assert_eq!(
    wait(ix.delete_metadata_index("nope")).unwrap_err().to_string(),
    "METADATA_INDEX_DELETE_ERROR (code = 40030): metadata index for property \"nope\" does not exist"
  );
  wait(ix.delete_metadata_index("p3")).unwrap();
  assert_eq!(ix.list_metadata_indexes(true).unwrap().unwrap().len(), 9);
  assert!(wait(ix.create_metadata_index("$x", "string")).is_err());
}

#[test]
fn describe_reports_the_last_applied_mutation() {
  let ix = index(1, "cosine");
  let d = ix.describe(true).unwrap().unwrap();
  assert_eq!(
    (d.vector_count, d.dimensions, d.processed_up_to_mutation),
    (0, 1, None)
  );
  let id = wait(ix.upsert(vec![v("a", None, None)], &[1.0], &[1])).unwrap();
  let d = ix.describe(true).unwrap().unwrap();
  assert_eq!(d.processed_up_to_mutation.as_deref(), Some(id.as_str()));
  assert_eq!(
    d.processed_up_to_datetime.as_deref(),
    Some("2023-11-14T22:13:20.123Z")
  );
  let again = wait(ix.delete_by_ids(vec!["zzz".into()])).unwrap();
  assert_ne!(id, again);
  assert_eq!(
    ix.describe(true).unwrap().unwrap().processed_up_to_mutation,
    Some(again)
  );
  let re = regex_like_uuid(&id);
  assert!(re, "{id} is not a v4 uuid");
}

fn regex_like_uuid(s: &str) -> bool {
  let parts: Vec<&str> = s.split('-').collect();
  parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
    && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    && parts[2].starts_with('4')
    && matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b'))
}

#[test]
fn iso_dates() {
  assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
  assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
  assert_eq!(iso8601(1_764_081_000_999), "2025-11-25T14:30:00.999Z");
}

#[test]
fn reopen_restores_vectors_indexes_and_log_position() {
  let dir = tempfile::tempdir().unwrap();
  let clock = Clock::manual(1_000);
  let mut o = opts(3, "dot-product");
  o.metadata_indexes = vec![("tag".into(), "string".into())];
  let last;
  {
    let ix = VectorizeIndex::persistent(dir.path(), "emb", &o, clock.clone()).unwrap();
    upsert(
      &ix,
      &[
        (
          "a",
          vec![1.0, 2.0, 3.0],
          Some("n"),
          Some("{\"tag\":\"x\",\"more\":[1]}"),
        ),
        ("b", vec![0.5, 0.0, 0.0], None, Some("{\"tag\":\"y\"}")),
      ],
    );
    meta_index(&ix, "gone", "number");
    upsert(&ix, &[("c", vec![0.0, 0.0, 1.0], None, Some("{\"gone\":1}"))]);
    wait(ix.delete_metadata_index("gone")).unwrap();
    meta_index(&ix, "gone", "number");
    last = wait(ix.delete_by_ids(vec!["b".into()])).unwrap();
    ix.close();
  }
  let reopened =
    VectorizeIndex::persistent(dir.path(), "emb", &IndexOptions::default(), clock.clone()).unwrap();
  assert_eq!(reopened.dimensions().unwrap(), 3);
  assert_eq!(reopened.metric().unwrap(), Metric::DotProduct);
  let d = reopened.describe(true).unwrap().unwrap();
  assert_eq!((d.vector_count, d.processed_up_to_mutation), (2, Some(last)));
  let got = reopened
    .get_by_ids(&["a".into()], true)
    .map(Option::unwrap)
    .unwrap();
  assert_eq!(got[0].values, vec![1.0, 2.0, 3.0]);
  assert_eq!(got[0].namespace.as_deref(), Some("n"));
  assert_eq!(got[0].metadata, "{\"tag\":\"x\",\"more\":[1]}");
  assert_eq!(
    ids(&query(
      &reopened,
      &[1.0, 0.0, 0.0],
      filtered(5, "{\"tag\":\"x\"}")
    )),
    ["a"]
  );
  // "c" was indexed by the first "gone" index, not by the re-created one.
  assert!(query(&reopened, &[1.0, 0.0, 0.0], filtered(5, "{\"gone\":1}")).is_empty());
  assert_eq!(
    reopened.list_metadata_indexes(true).unwrap().unwrap(),
    vec![("tag".to_string(), "string"), ("gone".to_string(), "number")]
  );
  // Settings must match the file.
  let e = VectorizeIndex::persistent(dir.path(), "emb", &opts(4, "dot-product"), clock.clone())
    .err()
    .unwrap();
  assert_eq!(
    e.to_string(),
    "This Vectorize index was created with 3 dimensions and metric dot-product."
  );
  reopened.close();
  let e = VectorizeIndex::persistent(dir.path(), "new", &IndexOptions::default(), clock)
    .err()
    .unwrap();
  assert_eq!(
    e.to_string(),
    "A new Vectorize index needs `dimensions` (1 to 1536)."
  );
}

#[test]
fn constructor_options_are_checked() {
  let bad = |o: IndexOptions| {
    VectorizeIndex::in_memory("x", &o, Clock::System)
      .err()
      .unwrap()
      .to_string()
  };
  assert_eq!(
    bad(opts(0, "cosine")),
    "Vectorize dimensions must be an integer from 1 to 1536, got 0."
  );
  assert_eq!(
    bad(opts(1537, "cosine")),
    "Vectorize dimensions must be an integer from 1 to 1536, got 1537."
  );
  assert_eq!(
    bad(opts(3, "manhattan")),
    "Vectorize metric must be \"cosine\", \"euclidean\" or \"dot-product\", got \"manhattan\"."
  );
  assert!(VectorizeIndex::in_memory("x", &opts(1536, "euclidean"), Clock::System).is_ok());
}
