//! The parts of an EdgeBase config (`edgebase.config.ts`, as JSON) that this server serves:
//! native resources, storage buckets, service keys, CORS, rate limits, release mode.
//!
//! Both EdgeBase's record form (`kv: { cache: { binding: 'CACHE_KV' } }`) and the array forms of
//! its docs (`d1: ['analytics']`, `vectorize: [{ name, dimensions, metric }]`) are accepted.
//! Every problem is reported with the path of the offending field, before the server binds.
//! Fields this server does not use (databases, auth, …) are ignored.

use crate::error::ServerError;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The config served when none is given: one resource of each kind and a root key
/// (`SERVICE_KEY`, generated in dev when unset).
pub const DEFAULT_CONFIG: &str = include_str!("default-config.json");

#[derive(Clone, Debug, Default)]
pub struct Config {
  /// `release: true` = production rules: bad JWTs are 401, storage needs explicit rules.
  pub release: bool,
  pub kv: HashMap<String, Resource>,
  pub d1: HashMap<String, Resource>,
  pub vectorize: HashMap<String, VectorIndex>,
  pub buckets: HashMap<String, Bucket>,
  /// `None` when the config has no `serviceKeys` at all; `Some(vec![])` is an explicit empty
  /// list (every native call is then 403, as in EdgeBase).
  pub service_keys: Option<Vec<KeyEntry>>,
  pub cors: Cors,
  pub rate_limits: HashMap<String, RateLimit>,
  pub trust_self_hosted_proxy: bool,
  /// Some KV namespace declares `rules` (which EdgeBase's server does not evaluate either).
  pub kv_rules: bool,
}

/// A KV namespace or D1 database: the Worker binding name that identifies its store.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
  pub binding: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VectorIndex {
  pub binding: String,
  pub dimensions: u32,
  /// `cosine`, `euclidean` or `dot-product`.
  pub metric: String,
  /// `(propertyName, indexType)`: metadata indexes to create (filters need them, as in
  /// Vectorize V2). An extension of EdgeBase's config.
  pub metadata_indexes: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bucket {
  /// The R2 binding the bucket's objects live in (as `<bucket>/<key>`); default `STORAGE`.
  pub binding: Option<String>,
  pub read: Option<Rule>,
  pub write: Option<Rule>,
  pub delete: Option<Rule>,
}

/// A storage access rule as JSON can carry it.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
  Always(bool),
  /// A string rule: one of EdgeBase's supported expressions, or anything else (denied).
  Expr(String),
  /// A function (passed from Node): it cannot run here, so it denies.
  Function,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyEntry {
  pub kid: String,
  pub root: bool,
  pub scopes: Vec<String>,
  pub secret: Secret,
  pub enabled: bool,
  pub expires_at: Option<String>,
  pub env: Vec<String>,
  pub ip_cidr: Vec<String>,
  pub tenant: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Secret {
  /// `secretSource: 'dashboard'`: the value of this variable (env or `.dev.vars`).
  Ref(String),
  /// `secretSource: 'inline'` (or the `secret` shorthand).
  Inline(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cors {
  /// `None` = only `http://localhost[:port]` and `http://127.0.0.1[:port]`.
  pub origin: Option<Vec<String>>,
  pub any_origin: bool,
  pub methods: String,
  pub credentials: bool,
  pub max_age: u64,
}

impl Default for Cors {
  fn default() -> Self {
    Cors {
      origin: None,
      any_origin: false,
      methods: "GET, POST, PATCH, DELETE, OPTIONS".into(),
      credentials: true,
      max_age: 86_400,
    }
  }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
  pub requests: u64,
  pub window_secs: u64,
}

type R<T> = Result<T, ServerError>;

fn err<T>(path: &str, problem: impl Into<String>) -> R<T> {
  Err(ServerError::config(path, problem))
}

fn kind(v: &Value) -> &'static str {
  match v {
    Value::Null => "null",
    Value::Bool(_) => "a boolean",
    Value::Number(_) => "a number",
    Value::String(_) => "a string",
    Value::Array(_) => "an array",
    Value::Object(_) => "an object",
  }
}

fn object<'a>(path: &str, v: &'a Value) -> R<&'a Map<String, Value>> {
  v.as_object()
    .map_or_else(|| err(path, format!("must be an object (got {})", kind(v))), Ok)
}

fn string(path: &str, v: &Value) -> R<String> {
  match v {
    Value::String(s) if !s.is_empty() => Ok(s.clone()),
    Value::String(_) => err(path, "must not be empty"),
    other => err(path, format!("must be a string (got {})", kind(other))),
  }
}

fn opt_string(path: &str, o: &Map<String, Value>, key: &str) -> R<Option<String>> {
  match o.get(key) {
    None | Some(Value::Null) => Ok(None),
    Some(v) => string(&format!("{path}.{key}"), v).map(Some),
  }
}

fn opt_bool(path: &str, o: &Map<String, Value>, key: &str) -> R<Option<bool>> {
  match o.get(key) {
    None | Some(Value::Null) => Ok(None),
    Some(Value::Bool(b)) => Ok(Some(*b)),
    Some(v) => err(
      &format!("{path}.{key}"),
      format!("must be a boolean (got {})", kind(v)),
    ),
  }
}

fn strings(path: &str, v: &Value) -> R<Vec<String>> {
  match v {
    Value::Array(a) => a
      .iter()
      .enumerate()
      .map(|(i, s)| string(&format!("{path}[{i}]"), s))
      .collect(),
    other => err(path, format!("must be an array of strings (got {})", kind(other))),
  }
}

fn join(path: &str, key: &str) -> String {
  if path.is_empty() {
    key.into()
  } else {
    format!("{path}.{key}")
  }
}

/// One declared resource: its name, the path of its entry, the entry object (`None` for a bare
/// name of the array form) and whether it came in the record form.
type Entry<'a> = (String, String, Option<&'a Map<String, Value>>, bool);

/// Entries of a resource section in record form, or in the array form (`['name']` or
/// `[{ name, ... }]`).
fn entries<'a>(section: &str, v: &'a Value) -> R<Vec<Entry<'a>>> {
  let mut out = Vec::new();
  match v {
    Value::Null => {}
    Value::Object(o) => {
      for (name, e) in o {
        let path = format!("{section}.{name}");
        out.push((name.clone(), path.clone(), Some(object(&path, e)?), true));
      }
    }
    Value::Array(a) => {
      for (i, e) in a.iter().enumerate() {
        let path = format!("{section}[{i}]");
        match e {
          Value::String(name) if !name.is_empty() => out.push((name.clone(), path, None, false)),
          Value::Object(o) => {
            let name = match o.get("name") {
              Some(n) => string(&format!("{path}.name"), n)?,
              None => return err(&path, "needs a \"name\" in the array form"),
            };
            out.push((name, path, Some(o), false));
          }
          other => {
            return err(
              &path,
              format!(
                "must be a name or an object with a \"name\" (got {})",
                kind(other)
              ),
            )
          }
        }
      }
    }
    other => {
      return err(
        section,
        format!(
          "must be an object keyed by name, or an array (got {})",
          kind(other)
        ),
      )
    }
  }
  let mut seen = std::collections::HashSet::new();
  for (name, path, ..) in &out {
    if name.is_empty() {
      return err(path, "has an empty name");
    }
    if !seen.insert(name.clone()) {
      return err(path, format!("declares \"{name}\" twice"));
    }
  }
  Ok(out)
}

/// `binding`, defaulting to `<PREFIX>_<NAME>` (EdgeBase's Vectorize default, also used by the
/// array form of KV and D1); `required` makes it mandatory (EdgeBase's record form of KV/D1).
fn binding(
  path: &str,
  e: Option<&Map<String, Value>>,
  prefix: &str,
  name: &str,
  required: bool,
) -> R<String> {
  match e.map(|o| opt_string(path, o, "binding")).transpose()?.flatten() {
    Some(b) => Ok(b),
    None if required => err(&format!("{path}.binding"), "is required"),
    None => Ok(format!("{prefix}_{}", name.to_uppercase())),
  }
}

fn rule(path: &str, v: Option<&Value>) -> R<Option<Rule>> {
  Ok(match v {
    None | Some(Value::Null) => None,
    Some(Value::Bool(b)) => Some(Rule::Always(*b)),
    Some(Value::String(s)) => Some(Rule::Expr(s.clone())),
    // Functions are marked this way by the Node layer (JSON cannot carry them).
    Some(Value::Object(o)) if o.contains_key("$function") => Some(Rule::Function),
    Some(other) => {
      return err(
        path,
        format!(
          "must be a boolean, a rule expression string or a function (got {})",
          kind(other)
        ),
      )
    }
  })
}

fn key_entry(path: &str, v: &Value) -> R<KeyEntry> {
  let o = object(path, v)?;
  let kid = match o.get("kid") {
    Some(k) => string(&format!("{path}.kid"), k)?,
    None => return err(&format!("{path}.kid"), "is required and must be a string"),
  };
  if !kid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
    return err(
      &format!("{path}.kid"),
      format!("'{kid}' is invalid: use letters, numbers and hyphens only (underscore is reserved by the 'jb_<kid>_<secret>' key format)"),
    );
  }
  let root = match o.get("tier") {
    Some(Value::String(t)) if t == "root" => true,
    Some(Value::String(t)) if t == "scoped" => false,
    None => false,
    Some(other) => {
      return err(
        &format!("{path}.tier"),
        format!("must be 'root' or 'scoped' (got {other})"),
      )
    }
  };
  let scopes = match o.get("scopes") {
    None | Some(Value::Null) => Vec::new(),
    Some(s) => strings(&format!("{path}.scopes"), s)?,
  };
  let inline = opt_string(path, o, "inlineSecret")?.or(opt_string(path, o, "secret")?);
  let secret = match o.get("secretSource").and_then(Value::as_str) {
    Some("dashboard") => match opt_string(path, o, "secretRef")? {
      Some(r) => Secret::Ref(r),
      None => {
        return err(
          &format!("{path}.secretRef"),
          "is required (non-empty) when secretSource is 'dashboard'",
        )
      }
    },
    Some("inline") => match inline {
      Some(s) => Secret::Inline(s),
      None => {
        return err(
          &format!("{path}.inlineSecret"),
          "is required (non-empty) when secretSource is 'inline'",
        )
      }
    },
    None if inline.is_some() => Secret::Inline(inline.unwrap_or_default()),
    None if o.contains_key("secretRef") => Secret::Ref(opt_string(path, o, "secretRef")?.unwrap_or_default()),
    _ => {
      return err(
        &format!("{path}.secretSource"),
        "must be 'dashboard' (with secretRef) or 'inline' (with inlineSecret)",
      )
    }
  };
  let mut entry = KeyEntry {
    kid,
    root,
    scopes,
    secret,
    enabled: opt_bool(path, o, "enabled")?.unwrap_or(true),
    expires_at: None,
    env: Vec::new(),
    ip_cidr: Vec::new(),
    tenant: None,
  };
  if let Some(c) = o.get("constraints").filter(|c| !c.is_null()) {
    let cpath = format!("{path}.constraints");
    let c = object(&cpath, c)?;
    entry.expires_at = opt_string(&cpath, c, "expiresAt")?;
    if let Some(e) = c.get("env").filter(|e| !e.is_null()) {
      entry.env = strings(&format!("{cpath}.env"), e)?;
    }
    if let Some(e) = c.get("ipCidr").filter(|e| !e.is_null()) {
      entry.ip_cidr = strings(&format!("{cpath}.ipCidr"), e)?;
    }
    entry.tenant = opt_string(&cpath, c, "tenant")?;
  }
  Ok(entry)
}

fn window_secs(path: &str, v: &Value) -> R<u64> {
  let bad = || {
    err(
      path,
      format!("must be a number of seconds or a string like '60s', '5m' or '1h' (got {v})"),
    )
  };
  match v {
    Value::Number(n) => match n.as_f64() {
      Some(s) if s > 0.0 && s.fract() == 0.0 => Ok(s as u64),
      _ => bad(),
    },
    Value::String(s) => {
      let (digits, unit) = s.split_at(s.len().saturating_sub(1));
      let n: u64 = match digits.parse() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return bad(),
      };
      match unit {
        "s" => Ok(n),
        "m" => Ok(n * 60),
        "h" => Ok(n * 3600),
        _ => bad(),
      }
    }
    _ => bad(),
  }
}

impl Config {
  /// Parses JSON text (a config file or `EDGEBASE_CONFIG`).
  pub fn from_json(text: &str) -> R<Config> {
    let v: Value =
      serde_json::from_str(text).map_err(|e| ServerError::config("", format!("not valid JSON ({e})")))?;
    Config::from_value(&v)
  }

  /// Validates and reads a config object.
  pub fn from_value(v: &Value) -> R<Config> {
    let root = object("(the config)", v)?;
    let mut c = Config {
      release: opt_bool("", root, "release")?.unwrap_or(false),
      trust_self_hosted_proxy: opt_bool("", root, "trustSelfHostedProxy")?.unwrap_or(false),
      ..Config::default()
    };
    for (name, path, e, record) in entries("kv", root.get("kv").unwrap_or(&Value::Null))? {
      let binding = binding(&path, e, "KV", &name, record)?;
      if e.is_some_and(|o| o.get("rules").is_some_and(|r| !r.is_null())) {
        c.kv_rules = true;
      }
      c.kv.insert(name, Resource { binding });
    }
    for (name, path, e, record) in entries("d1", root.get("d1").unwrap_or(&Value::Null))? {
      let binding = binding(&path, e, "D1", &name, record)?;
      c.d1.insert(name, Resource { binding });
    }
    for (name, path, e, _) in entries("vectorize", root.get("vectorize").unwrap_or(&Value::Null))? {
      let Some(o) = e else {
        return err(&path, "must be an object with dimensions and metric");
      };
      let dimensions = match o.get("dimensions") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|d| (1..=u32::MAX as u64).contains(&d)) => {
          n.as_u64().unwrap_or(0) as u32
        }
        Some(other) => {
          return err(
            &format!("{path}.dimensions"),
            format!("must be a positive integer (got {other})"),
          )
        }
        None => return err(&format!("{path}.dimensions"), "is required"),
      };
      let metric = match o.get("metric") {
        Some(Value::String(m)) if ["cosine", "euclidean", "dot-product"].contains(&m.as_str()) => m.clone(),
        Some(other) => {
          return err(
            &format!("{path}.metric"),
            format!("must be 'cosine', 'euclidean' or 'dot-product' (got {other})"),
          )
        }
        None => return err(&format!("{path}.metric"), "is required"),
      };
      let mut metadata_indexes = Vec::new();
      match o.get("metadataIndexes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
          for (i, m) in a.iter().enumerate() {
            let mpath = format!("{path}.metadataIndexes[{i}]");
            let m = object(&mpath, m)?;
            let property = opt_string(&mpath, m, "propertyName")?
              .ok_or_else(|| ServerError::config(format!("{mpath}.propertyName"), "is required"))?;
            let ty = match m.get("indexType") {
              Some(Value::String(t)) if ["string", "number", "boolean"].contains(&t.as_str()) => t.clone(),
              other => {
                return err(
                  &format!("{mpath}.indexType"),
                  format!(
                    "must be 'string', 'number' or 'boolean' (got {})",
                    other.map_or("nothing".into(), |v| v.to_string())
                  ),
                )
              }
            };
            metadata_indexes.push((property, ty));
          }
        }
        Some(other) => {
          return err(
            &format!("{path}.metadataIndexes"),
            format!("must be an array (got {})", kind(other)),
          )
        }
      }
      let binding = binding(&path, e, "VECTORIZE", &name, false)?;
      c.vectorize.insert(
        name,
        VectorIndex {
          binding,
          dimensions,
          metric,
          metadata_indexes,
        },
      );
    }
    if let Some(s) = root.get("storage").filter(|s| !s.is_null()) {
      let s = object("storage", s)?;
      if let Some(b) = s.get("buckets").filter(|b| !b.is_null()) {
        for (name, path, e, _) in entries("storage.buckets", b)? {
          let mut bucket = Bucket {
            binding: e.map(|o| opt_string(&path, o, "binding")).transpose()?.flatten(),
            ..Bucket::default()
          };
          if let Some(a) = e.and_then(|o| o.get("access")).filter(|a| !a.is_null()) {
            let apath = format!("{path}.access");
            let a = object(&apath, a)?;
            bucket.read = rule(&format!("{apath}.read"), a.get("read"))?;
            bucket.write = rule(&format!("{apath}.write"), a.get("write"))?;
            bucket.delete = rule(&format!("{apath}.delete"), a.get("delete"))?;
          }
          c.buckets.insert(name, bucket);
        }
      }
    }
    if let Some(sk) = root.get("serviceKeys").filter(|s| !s.is_null()) {
      let sk = object("serviceKeys", sk)?;
      let keys = match sk.get("keys") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
          .iter()
          .enumerate()
          .map(|(i, k)| key_entry(&format!("serviceKeys.keys[{i}]"), k))
          .collect::<R<Vec<_>>>()?,
        Some(other) => {
          return err(
            "serviceKeys.keys",
            format!("must be an array (got {})", kind(other)),
          )
        }
      };
      for (i, k) in keys.iter().enumerate() {
        if keys[..i].iter().any(|p| p.kid == k.kid) {
          return err(
            &format!("serviceKeys.keys[{i}].kid"),
            format!("'{}' is used twice; each kid must be unique", k.kid),
          );
        }
      }
      c.service_keys = Some(keys);
    }
    if let Some(cors) = root.get("cors").filter(|s| !s.is_null()) {
      let o = object("cors", cors)?;
      match o.get("origin") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "*" => c.cors.any_origin = true,
        Some(Value::String(s)) => c.cors.origin = Some(vec![s.clone()]),
        Some(a @ Value::Array(_)) => c.cors.origin = Some(strings("cors.origin", a)?),
        Some(other) => {
          return err(
            "cors.origin",
            format!("must be a string or an array of strings (got {})", kind(other)),
          )
        }
      }
      if let Some(m) = o.get("methods").filter(|m| !m.is_null()) {
        c.cors.methods = strings("cors.methods", m)?.join(", ");
      }
      c.cors.credentials = opt_bool("cors", o, "credentials")?.unwrap_or(true);
      match o.get("maxAge") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_u64().is_some() => c.cors.max_age = n.as_u64().unwrap_or(0),
        Some(other) => {
          return err(
            "cors.maxAge",
            format!("must be a non-negative integer (got {other})"),
          )
        }
      }
    }
    if let Some(rl) = root.get("rateLimiting").filter(|s| !s.is_null()) {
      for (group, v) in object("rateLimiting", rl)? {
        let path = join("rateLimiting", group);
        let o = object(&path, v)?;
        let requests = match o.get("requests") {
          Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or(0),
          Some(other) => {
            return err(
              &format!("{path}.requests"),
              format!("must be a non-negative integer (got {other})"),
            )
          }
          None => continue, // EdgeBase falls back to the defaults without both fields
        };
        let Some(w) = o.get("window") else { continue };
        let window_secs = window_secs(&format!("{path}.window"), w)?;
        c.rate_limits.insert(
          group.clone(),
          RateLimit {
            requests,
            window_secs,
          },
        );
      }
    }
    Ok(c)
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use serde_json::json;

  fn problem(v: Value) -> String {
    Config::from_value(&v).unwrap_err().to_string()
  }

  #[test]
  fn record_and_array_forms_are_equivalent() {
    let rec = Config::from_value(&json!({
      "kv": { "cache": { "binding": "CACHE_KV" } },
      "d1": { "analytics": { "binding": "D1_ANALYTICS" } },
      "vectorize": { "embeddings": { "dimensions": 3, "metric": "cosine" } },
    }))
    .unwrap();
    let arr = Config::from_value(&json!({
      "kv": [{ "name": "cache", "binding": "CACHE_KV" }],
      "d1": ["analytics"],
      "vectorize": [{ "name": "embeddings", "dimensions": 3, "metric": "cosine" }],
    }))
    .unwrap();
    assert_eq!(rec.kv, arr.kv);
    assert_eq!(rec.d1, arr.d1);
    assert_eq!(rec.vectorize, arr.vectorize);
    assert_eq!(rec.vectorize["embeddings"].binding, "VECTORIZE_EMBEDDINGS");
  }

  #[test]
  fn problems_name_the_field() {
    assert_eq!(
      problem(json!({ "vectorize": { "e": { "dimensions": "x", "metric": "cosine" } } })),
      "Invalid EdgeBase config: vectorize.e.dimensions must be a positive integer (got \"x\")"
    );
    assert!(
      problem(json!({ "vectorize": { "e": { "dimensions": 3, "metric": "l2" } } }))
        .contains("vectorize.e.metric")
    );
    assert!(problem(json!({ "kv": { "cache": {} } })).contains("kv.cache.binding is required"));
    assert!(problem(json!({ "kv": ["a", "a"] })).contains("kv[1] declares \"a\" twice"));
    assert!(
      problem(json!({ "serviceKeys": { "keys": [{ "kid": "a_b", "secret": "x" }] } }))
        .contains("serviceKeys.keys[0].kid")
    );
    assert!(
      problem(json!({ "serviceKeys": { "keys": [{ "kid": "a", "secretSource": "dashboard" }] } }))
        .contains("serviceKeys.keys[0].secretRef is required")
    );
    assert!(problem(
      json!({ "serviceKeys": { "keys": [{ "kid": "a", "secret": "x" }, { "kid": "a", "secret": "y" }] } })
    )
    .contains("serviceKeys.keys[1].kid 'a' is used twice"));
    assert!(
      problem(json!({ "rateLimiting": { "global": { "requests": 5, "window": "5x" } } }))
        .contains("rateLimiting.global.window")
    );
    assert!(problem(json!({ "release": "yes" })).contains("release must be a boolean"));
    assert!(problem(json!([])).contains("must be an object"));
    assert!(Config::from_json("{")
      .unwrap_err()
      .to_string()
      .contains("not valid JSON"));
  }

  #[test]
  fn service_keys_absent_empty_and_shorthand() {
    assert_eq!(Config::from_value(&json!({})).unwrap().service_keys, None);
    assert_eq!(
      Config::from_value(&json!({ "serviceKeys": { "keys": [] } }))
        .unwrap()
        .service_keys,
      Some(vec![])
    );
    let c = Config::from_value(&json!({ "serviceKeys": { "keys": [
      { "kid": "root", "tier": "root", "scopes": ["*"], "secret": "s3cret" },
      { "kid": "ro", "tier": "scoped", "scopes": ["kv:*:*:read"], "secretSource": "dashboard", "secretRef": "RO_KEY",
        "constraints": { "expiresAt": "2030-01-01", "env": ["dev"], "ipCidr": ["10.0.0.0/8"], "tenant": "t1" } },
    ] } }))
    .unwrap();
    let keys = c.service_keys.unwrap();
    assert_eq!(keys[0].secret, Secret::Inline("s3cret".into()));
    assert!(keys[0].root);
    assert_eq!(keys[1].secret, Secret::Ref("RO_KEY".into()));
    assert_eq!(keys[1].ip_cidr, vec!["10.0.0.0/8"]);
  }

  #[test]
  fn default_config_is_valid() {
    let c = Config::from_json(DEFAULT_CONFIG).unwrap();
    assert_eq!(c.kv.len(), 1);
    assert_eq!(c.d1.len(), 1);
    assert_eq!(c.vectorize.len(), 1);
    assert_eq!(c.buckets.len(), 1);
  }

  #[test]
  fn rules_cors_and_limits() {
    let c = Config::from_value(&json!({
      "storage": { "buckets": { "avatars": { "access": { "read": true, "write": "auth != null", "delete": { "$function": "f" } } } } },
      "cors": { "origin": "*", "credentials": true },
      "rateLimiting": { "storage": { "requests": 2, "window": "5m" }, "db": { "requests": 1 } },
      "kv": { "cache": { "binding": "C", "rules": { "read": { "$function": "r" } } } },
    }))
    .unwrap();
    let b = &c.buckets["avatars"];
    assert_eq!(b.read, Some(Rule::Always(true)));
    assert_eq!(b.write, Some(Rule::Expr("auth != null".into())));
    assert_eq!(b.delete, Some(Rule::Function));
    assert!(c.cors.any_origin);
    assert_eq!(
      c.rate_limits["storage"],
      RateLimit {
        requests: 2,
        window_secs: 300
      }
    );
    assert!(!c.rate_limits.contains_key("db"));
    assert!(c.kv_rules);
  }
}
