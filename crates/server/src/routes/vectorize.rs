//! `POST /api/vectorize/:index` — `upsert | insert | search | queryById | getByIds | delete |
//! describe`, real results from our index (never EdgeBase's `_stub`). Scopes
//! `vectorize:index:<idx>:query` (reads) and `…:write` (mutations).

use super::body::{read_json, received, Schema, Ty};
use super::{decode_segment, json, require_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::{array, numbers, Obj};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use edgebase_engine::limits::vectorize::MAX_BATCH_VECTORS;
use edgebase_engine::vectorize::{
  Answer, Match, Pending, QueryOptions, StoredVector, VectorInput, VectorizeError, VectorizeIndex,
};
use serde_json::Value as Json;
use std::sync::Arc;

const ACTIONS: &[&str] = &[
  "upsert",
  "insert",
  "search",
  "queryById",
  "getByIds",
  "delete",
  "describe",
];
/// EdgeBase's default `topK` (the binding's own default is 5).
const DEFAULT_TOP_K: f64 = 10.0;

fn engine_error(e: VectorizeError, path: &str) -> ApiError {
  match e {
    VectorizeError::Storage(_) | VectorizeError::Poisoned => {
      eprintln!("@edgebase/native: Vectorize call on {path} failed: {e}");
      ApiError::internal(path)
    }
    other => ApiError::bad_request(other.to_string()),
  }
}

/// The zod checks of `vectorizeBodySchema` beyond the top-level fields: each vector, each number.
fn check_numbers(s: &mut Schema, path: &str, v: Option<&Json>) {
  if let Some(Json::Array(items)) = v {
    for (i, x) in items.iter().enumerate() {
      if !x.is_number() {
        s.issue(
          &format!("{path}[{i}]"),
          format_args!("Invalid input: expected number, received {}", received(Some(x))),
        );
      }
    }
  }
}

fn check_body(s: &mut Schema) {
  let vectors = s.field("vectors", Ty::Arr, true);
  for (i, v) in vectors.and_then(Json::as_array).into_iter().flatten().enumerate() {
    let at = format!("vectors[{i}]");
    let Some(o) = v.as_object() else {
      s.issue(
        &at,
        format_args!("Invalid input: expected object, received {}", received(Some(v))),
      );
      continue;
    };
    s.check(&format!("{at}.id"), o.get("id"), Ty::Str, false);
    let values = s.check(&format!("{at}.values"), o.get("values"), Ty::Arr, false);
    check_numbers(s, &format!("{at}.values"), values);
    s.check(&format!("{at}.metadata"), o.get("metadata"), Ty::Record, true);
    s.check(&format!("{at}.namespace"), o.get("namespace"), Ty::Str, true);
  }
  let vector = s.field("vector", Ty::Arr, true);
  check_numbers(s, "vector", vector);
  s.field("vectorId", Ty::Str, true);
  s.field("topK", Ty::Num, true);
  s.field("filter", Ty::Record, true);
  let ids = s.field("ids", Ty::Arr, true);
  for (i, id) in ids.and_then(Json::as_array).into_iter().flatten().enumerate() {
    s.check(&format!("ids[{i}]"), Some(id), Ty::Str, false);
  }
  s.field("namespace", Ty::Str, true);
  s.field("returnValues", Ty::Bool, true);
  match s.get("returnMetadata") {
    None | Some(Json::Bool(_)) => {}
    Some(Json::String(m)) if ["all", "indexed", "none"].contains(&m.as_str()) => {}
    Some(_) => s.issue("returnMetadata", "Invalid input"),
  }
}

fn floats(v: &Json) -> Vec<f32> {
  v.as_array()
    .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN) as f32).collect())
    .unwrap_or_default()
}

fn strings(v: Option<&Json>) -> Vec<String> {
  v.and_then(Json::as_array)
    .map(|a| a.iter().filter_map(Json::as_str).map(String::from).collect())
    .unwrap_or_default()
}

/// Runs a read that may wait for the index lock on a blocking thread.
async fn off_thread<R: Send + 'static>(
  f: impl FnOnce() -> Result<Option<R>, VectorizeError> + Send + 'static,
) -> Result<R, VectorizeError> {
  match tokio::task::spawn_blocking(f).await {
    Ok(Ok(Some(r))) => Ok(r),
    Ok(Ok(None)) => Err(VectorizeError::Storage(edgebase_engine::StorageError::engine(
      "the Vectorize index did not answer",
    ))),
    Ok(Err(e)) => Err(e),
    Err(e) => Err(VectorizeError::Storage(edgebase_engine::StorageError::engine(e))),
  }
}

/// `getByIds` at once when the index is free, else on a blocking thread (a scan or a mutation
/// holds it).
async fn stored(index: &Arc<VectorizeIndex>, ids: Vec<String>) -> Result<Vec<StoredVector>, VectorizeError> {
  if let Some(found) = index.get_by_ids(&ids, false)? {
    return Ok(found);
  }
  let index = index.clone();
  off_thread(move || index.get_by_ids(&ids, true)).await
}

async fn durable(p: Pending) -> Result<String, VectorizeError> {
  match p.done.await {
    Ok(Ok(())) => Ok(p.mutation_id),
    Ok(Err(e)) => Err(e),
    Err(_) => Err(VectorizeError::Storage(edgebase_engine::StorageError::engine(
      "the Vectorize writer stopped",
    ))),
  }
}

fn mutation(count: usize, mutation_id: Option<String>) -> Response {
  let mut out = Obj::new().field("ok", true).field("count", count);
  if let Some(id) = mutation_id {
    out = out.field("mutationId", id);
  }
  json(out.finish())
}

/// `{ matches: [{ id, score, values?, metadata?, namespace? }], count }`; metadata as stored.
fn matches(found: Vec<Match>) -> Response {
  let count = found.len();
  let list = array(found.into_iter().map(|m| {
    let mut o = Obj::new().field("id", m.id).num("score", m.score);
    if let Some(v) = m.values {
      o = o.raw("values", &numbers(v.into_iter().map(f64::from)));
    }
    if let Some(meta) = m.metadata {
      o = o.raw("metadata", meta.as_bytes());
    }
    if let Some(ns) = m.namespace.filter(|n| !n.is_empty()) {
      o = o.field("namespace", ns);
    }
    o.finish()
  }));
  json(Obj::new().raw("matches", &list).field("count", count).finish())
}

/// Inserts or upserts `vectors` (top-level `namespace` applied to those without one) in chunks of
/// the binding's batch limit; `insert` refuses ids already stored with 409, as EdgeBase does.
async fn write(
  index: &Arc<VectorizeIndex>,
  insert: bool,
  vectors: &[Json],
  namespace: Option<&str>,
  name: &str,
  path: &str,
) -> ApiResult {
  let err = |e| engine_error(e, path);
  if insert {
    let ids: Vec<String> = vectors
      .iter()
      .filter_map(|v| v["id"].as_str())
      .map(String::from)
      .collect();
    if let Some(dup) = stored(index, ids).await.map_err(err)?.into_iter().next() {
      return Err(ApiError::new(
        StatusCode::CONFLICT,
        format!(
          "Insert failed — duplicate ID: vector '{}' already exists in Vectorize index '{name}'.",
          dup.id
        ),
      ));
    }
  }
  let mut last = None;
  for chunk in vectors.chunks(MAX_BATCH_VECTORS) {
    let mut inputs = Vec::with_capacity(chunk.len());
    let mut values = Vec::new();
    let mut lengths = Vec::with_capacity(chunk.len());
    for v in chunk {
      let vals = floats(&v["values"]);
      lengths.push(vals.len() as u32);
      values.extend(vals);
      inputs.push(VectorInput {
        id: v["id"].as_str().unwrap_or_default().to_string(),
        namespace: v["namespace"]
          .as_str()
          .filter(|n| !n.is_empty())
          .or(namespace)
          .map(String::from),
        metadata: v.get("metadata").filter(|m| m.is_object()).map(Json::to_string),
      });
    }
    let pending = if insert {
      index.insert(inputs, &values, &lengths)
    } else {
      index.upsert(inputs, &values, &lengths)
    }
    .map_err(err)?;
    last = Some(durable(pending).await.map_err(err)?);
  }
  Ok(mutation(vectors.len(), last))
}

pub async fn handle(State(app): State<Arc<App>>, req: Request) -> ApiResult {
  let (parts, body) = req.into_parts();
  let path = parts.uri.path();
  let name = decode_segment(path.strip_prefix("/api/vectorize/").unwrap_or_default());
  let v = read_json(&parts.headers, body).await?;
  let mut s = Schema::of(&v)?;
  let action = s.one_of("action", ACTIONS);
  check_body(&mut s);
  s.finish()?;
  let action = action.unwrap_or_default();

  let (Some(index), Some(config)) = (app.stores.vectorize.get(&name), app.config.vectorize.get(&name)) else {
    return Err(ApiError::not_found(format!(
      "Vectorize index '{name}' not found in config."
    )));
  };
  let read = matches!(action, "search" | "queryById" | "getByIds" | "describe");
  let scope = format!("vectorize:index:{name}:{}", if read { "query" } else { "write" });
  require_key(
    &app,
    &parts,
    &scope,
    &format!("access Vectorize index '{name}'"),
    &format!("Vectorize index '{name}'"),
  )?;

  // EdgeBase's per-action checks, against the configured dimensions.
  let dims = config.dimensions as usize;
  let mismatch =
    |got: usize| ApiError::bad_request(format!("vector dimension mismatch: expected {dims}, got {got}"));
  let vectors = v
    .get("vectors")
    .and_then(Json::as_array)
    .map(Vec::as_slice)
    .unwrap_or_default();
  let ids = strings(v.get("ids"));
  if matches!(action, "upsert" | "insert") {
    if vectors.is_empty() {
      return Err(ApiError::bad_request(format!(
        "vectors array is required and must not be empty for {action}"
      )));
    }
    if let Some(bad) = vectors
      .iter()
      .map(|x| x["values"].as_array().map_or(0, Vec::len))
      .find(|&n| n != dims)
    {
      return Err(mismatch(bad));
    }
  }
  if matches!(action, "delete" | "getByIds") && ids.is_empty() {
    return Err(ApiError::bad_request(format!(
      "ids array is required and must not be empty for {action}"
    )));
  }
  let top_k = v.get("topK").and_then(Json::as_f64).unwrap_or(DEFAULT_TOP_K);
  if matches!(action, "search" | "queryById") && !(1.0..=100.0).contains(&top_k) {
    return Err(ApiError::bad_request("topK must be between 1 and 100"));
  }
  let vector = v.get("vector").filter(|x| x.is_array());
  if action == "search" {
    let Some(vector) = vector else {
      return Err(ApiError::bad_request("vector array is required for search"));
    };
    let n = vector.as_array().map_or(0, Vec::len);
    if n != dims {
      return Err(mismatch(n));
    }
  }
  let vector_id = v
    .get("vectorId")
    .and_then(Json::as_str)
    .filter(|id| !id.is_empty());
  if action == "queryById" && vector_id.is_none() {
    return Err(ApiError::bad_request("vectorId string is required for queryById"));
  }

  let err = |e| engine_error(e, path);
  let namespace = v
    .get("namespace")
    .and_then(Json::as_str)
    .filter(|n| !n.is_empty());
  match action {
    "upsert" | "insert" => write(index, action == "insert", vectors, namespace, &name, path).await,
    "delete" => {
      let pending = index.delete_by_ids(ids.clone()).map_err(err)?;
      let id = durable(pending).await.map_err(err)?;
      Ok(mutation(ids.len(), Some(id)))
    }
    "getByIds" => {
      let found = stored(index, ids.clone()).await.map_err(err)?;
      let list = array(found.into_iter().map(|sv| {
        let mut o = Obj::new()
          .field("id", sv.id)
          .raw("values", &numbers(sv.values.into_iter().map(f64::from)));
        o = o.raw("metadata", sv.metadata.as_bytes());
        if let Some(ns) = sv.namespace.filter(|n| !n.is_empty()) {
          o = o.field("namespace", ns);
        }
        o.finish()
      }));
      Ok(json(Obj::new().raw("vectors", &list).finish()))
    }
    "describe" => {
      let d = match index.describe(false).map_err(err)? {
        Some(d) => d,
        None => {
          let index = index.clone();
          off_thread(move || index.describe(true)).await.map_err(err)?
        }
      };
      let out = Obj::new()
        .field("vectorCount", d.vector_count)
        .field("dimensions", d.dimensions)
        .field("metric", &config.metric)
        .field("processedUpToDatetime", d.processed_up_to_datetime)
        .field("processedUpToMutation", d.processed_up_to_mutation);
      Ok(json(out.finish()))
    }
    _ => {
      let return_metadata = match v.get("returnMetadata") {
        Some(Json::Bool(true)) => Some("all".to_string()),
        Some(Json::Bool(false)) => Some("none".to_string()),
        Some(Json::String(m)) => Some(m.clone()),
        _ => None,
      };
      let options = QueryOptions {
        top_k: Some(top_k),
        namespace: namespace.map(String::from),
        return_values: v.get("returnValues").and_then(Json::as_bool).unwrap_or(false),
        return_metadata,
        filter: v.get("filter").filter(|f| f.is_object()).map(Json::to_string),
      };
      let query = vector.map(floats);
      let plan = index.plan(query.as_deref(), vector_id, options).map_err(err)?;
      let found = match index.query(plan).map_err(err)? {
        Answer::Now(m) => m,
        Answer::Later(rx) => rx
          .await
          .unwrap_or_else(|_| {
            Err(VectorizeError::Storage(edgebase_engine::StorageError::engine(
              "the Vectorize search thread stopped",
            )))
          })
          .map_err(err)?,
      };
      Ok(matches(found))
    }
  }
}
