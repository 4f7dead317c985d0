//! `startServer`: the EdgeBase REST server (crates/server) on the addon's tokio runtime.
//! `ServerEnvNative` collects the engine handles of binding instances a caller hands over
//! (`{ env }`), so the server serves those very stores — in-memory ones included.

use crate::d1::D1Database;
use crate::error::OrJs;
use crate::kv::KvNamespace;
use crate::r2::R2Bucket;
use crate::vectorize::VectorizeIndex;
use edgebase_server::server::{prepare, ConfigSource, Options, Running};
use edgebase_server::Bindings;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[napi(object)]
pub struct ServerOptionsJs {
  pub host: Option<String>,
  pub port: Option<u32>,
  /// Directory of the stores the server opens; omitted = in memory.
  pub persist: Option<String>,
  /// The config as JSON text; omitted = the built-in one (or, with env, one per binding).
  pub config: Option<String>,
  /// A `.dev.vars` file read when it exists.
  pub dev_vars: Option<String>,
  /// Variables overriding `.dev.vars` and the process environment.
  pub vars: Option<HashMap<String, String>>,
  pub log: Option<bool>,
}

/// Engine handles by binding name, filled from a JS `env` object.
#[napi(js_name = "ServerEnvNative")]
pub struct ServerEnv {
  inner: Mutex<Bindings>,
}

#[napi]
impl ServerEnv {
  #[napi(constructor)]
  pub fn new() -> Self {
    ServerEnv {
      inner: Mutex::new(Bindings::default()),
    }
  }

  #[napi]
  pub fn add_kv(&self, binding: String, kv: &KvNamespace) {
    self.lock().kv.insert(binding, kv.inner.clone());
  }

  #[napi]
  pub fn add_d1(&self, binding: String, db: &D1Database) {
    self.lock().d1.insert(binding, db.inner.clone());
  }

  #[napi]
  pub fn add_vectorize(&self, binding: String, index: &VectorizeIndex) {
    self.lock().vectorize.insert(binding, index.inner.clone());
  }

  #[napi]
  pub fn add_r2(&self, binding: String, bucket: &R2Bucket) {
    self.lock().r2.insert(binding, bucket.inner.clone());
  }

  fn lock(&self) -> std::sync::MutexGuard<'_, Bindings> {
    self.inner.lock().unwrap_or_else(|p| p.into_inner())
  }
}

impl Default for ServerEnv {
  fn default() -> Self {
    Self::new()
  }
}

#[napi(js_name = "ServerNative")]
pub struct Server {
  running: Arc<Running>,
}

#[napi]
impl Server {
  #[napi(getter)]
  pub fn url(&self) -> String {
    self.running.url()
  }

  #[napi(getter)]
  pub fn port(&self) -> u32 {
    self.running.addr.port() as u32
  }

  #[napi(getter)]
  pub fn host(&self) -> String {
    self.running.addr.ip().to_string()
  }

  /// The root key generated because none was configured (dev only), else `null`.
  #[napi(getter)]
  pub fn service_key(&self) -> Option<String> {
    self.running.dev_key.as_ref().map(|k| k.key.clone())
  }

  /// Where that generated key is kept, `null` when in memory.
  #[napi(getter)]
  pub fn service_key_file(&self) -> Option<String> {
    let k = self.running.dev_key.as_ref()?;
    k.file.as_ref().map(|f| f.display().to_string())
  }

  #[napi(getter)]
  pub fn warnings(&self) -> Vec<String> {
    self.running.warnings.clone()
  }

  /// Stops accepting, lets in-flight requests finish, releases the stores it opened.
  #[napi]
  pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
    let running = self.running.clone();
    env.spawn_future(async move {
      running.close().await;
      Ok(())
    })
  }

  /// Resolves once the server has stopped; pending, it keeps Node's event loop alive.
  #[napi]
  pub fn wait_for_close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
    let running = self.running.clone();
    env.spawn_future(async move {
      running.wait().await;
      Ok(())
    })
  }
}

/// Validates everything and opens the stores off the JS thread, then binds.
#[napi(catch_unwind)]
pub fn start_server<'env>(
  env: &'env Env,
  options: ServerOptionsJs,
  bindings: Option<&ServerEnv>,
) -> Result<PromiseRaw<'env, Server>> {
  let opts = Options {
    host: options.host.unwrap_or_else(|| "127.0.0.1".into()),
    port: match options.port {
      Some(p) if p <= u16::MAX as u32 => p as u16,
      Some(p) => {
        return Err(napi::Error::from_reason(format!(
          "port must be 0 to 65535, got {p}"
        )))
      }
      None => 8787,
    },
    persist: options.persist.map(PathBuf::from),
    config: options.config.map_or(ConfigSource::Default, ConfigSource::Json),
    env: bindings.map(|b| b.lock().clone()),
    dev_vars: options.dev_vars.map(PathBuf::from),
    vars: options.vars.unwrap_or_default().into_iter().collect(),
    log: options.log.unwrap_or(false),
    timeouts: Default::default(),
  };
  env.spawn_future(async move {
    let (host, port, timeouts) = (opts.host.clone(), opts.port, opts.timeouts);
    let prepared = tokio::task::spawn_blocking(move || prepare(&opts))
      .await
      .map_err(|e| napi::Error::from_reason(e.to_string()))?
      .or_js()?;
    let running = prepared.listen(&host, port, timeouts).await.or_js()?;
    Ok(Server {
      running: Arc::new(running),
    })
  })
}
