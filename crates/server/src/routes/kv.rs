//! `POST /api/kv/:namespace` — `{ action: get | set | delete | list, key, value, ttl, prefix,
//! limit, cursor }`, scopes `kv:namespace:<ns>:read|write`.

use super::body::{read_json, Schema};
use super::{decode_segment, json, require_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::Obj;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use edgebase_engine::kv::{KvError, PutOptions};
use edgebase_engine::BindingError;
use std::sync::Arc;

const ACTIONS: &[&str] = &["get", "set", "delete", "list"];

fn missing(field: &str, action: &str) -> ApiError {
  ApiError::bad_request(format!(
    "Missing required field '{field}' for KV action '{action}'."
  ))
}

/// Binding errors: validation → 400 with the binding's text (413 for an over-size value);
/// storage faults → 500 (`KV <action> failed: …`, or EdgeBase's generic text for `get`).
fn binding_error(e: KvError, action: &str, path: &str) -> ApiError {
  match e {
    KvError::ValueTooLarge { .. } | KvError::MetadataTooLarge { .. } => {
      ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
    }
    KvError::Storage(_) => {
      eprintln!(
        "@edgebase/native: KV {action} on {path} failed: {e} ({})",
        e.code()
      );
      if action == "get" {
        ApiError::internal(path)
      } else {
        ApiError::new(
          StatusCode::INTERNAL_SERVER_ERROR,
          format!("KV {action} failed: {e}"),
        )
      }
    }
    _ => ApiError::bad_request(e.to_string()),
  }
}

pub async fn handle(State(app): State<Arc<App>>, req: Request) -> ApiResult {
  let (parts, body) = req.into_parts();
  let path = parts.uri.path();
  let name = decode_segment(path.strip_prefix("/api/kv/").unwrap_or_default());
  let v = read_json(&parts.headers, body).await?;
  let mut s = Schema::of(&v)?;
  let action = s.one_of("action", ACTIONS);
  let key = s.opt_str("key");
  let value = s.opt_str("value");
  let ttl = s.opt_num("ttl");
  let prefix = s.opt_str("prefix");
  let limit = s.opt_num("limit");
  let cursor = s.opt_str("cursor");
  s.finish()?;
  let action = action.unwrap_or_default();

  let Some(kv) = app.stores.kv.get(&name) else {
    return Err(ApiError::not_found(format!(
      "KV namespace '{name}' not found in config."
    )));
  };
  let scope = match action {
    "get" | "list" => format!("kv:namespace:{name}:read"),
    _ => format!("kv:namespace:{name}:write"),
  };
  require_key(
    &app,
    &parts,
    &scope,
    &format!("access KV namespace '{name}'"),
    &format!("KV namespace '{name}'"),
  )?;

  // Falsy fields count as absent, as in EdgeBase (`key: ""`, `ttl: 0`, `limit: 0`).
  let key = key.filter(|k| !k.is_empty());
  let err = |e| binding_error(e, action, path);
  match action {
    "get" => {
      let key = key.ok_or_else(|| missing("key", "get"))?;
      let found = kv
        .get(key, None, |r| String::from_utf8_lossy(r.value).into_owned())
        .map_err(err)?;
      let mut out = Vec::with_capacity(found.as_ref().map_or(0, String::len) + 12);
      out.extend_from_slice(b"{\"value\":");
      serde_json::to_writer(&mut out, &found).map_err(|_| ApiError::internal(path))?;
      out.push(b'}');
      Ok(json(out))
    }
    "set" => {
      let key = key.ok_or_else(|| missing("key", "set"))?;
      let value = value.ok_or_else(|| missing("value", "set"))?;
      let options = PutOptions {
        expiration_ttl: ttl.filter(|t| *t != 0.0),
        ..PutOptions::default()
      };
      let pending = kv.put(key, value.as_bytes(), &options).map_err(err)?;
      settle(pending).await.map_err(err)?;
      Ok(json(br#"{"ok":true}"#.to_vec()))
    }
    "delete" => {
      let key = key.ok_or_else(|| missing("key", "delete"))?;
      settle(kv.delete(key).map_err(err)?).await.map_err(err)?;
      Ok(json(br#"{"ok":true}"#.to_vec()))
    }
    _ => {
      let page = kv
        .list(
          prefix.filter(|p| !p.is_empty()),
          limit.filter(|l| *l != 0.0),
          cursor.filter(|c| !c.is_empty()),
        )
        .map_err(err)?;
      let keys: Vec<String> = page.keys.into_iter().map(|k| k.name).collect();
      let mut out = Obj::new().field("keys", keys);
      if let Some(c) = page.cursor {
        out = out.field("cursor", c);
      }
      Ok(json(out.finish()))
    }
  }
}

/// Waits until a queued write is durable.
async fn settle(pending: edgebase_engine::kv::Pending) -> Result<(), KvError> {
  match pending.await {
    Ok(r) => r,
    Err(_) => Err(KvError::Storage(edgebase_engine::StorageError::engine(
      "the KV writer stopped before acknowledging the write",
    ))),
  }
}
