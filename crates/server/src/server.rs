//! Starting and stopping a server: everything that can fail (config, variables, keys, stores)
//! is done before the port is bound; `close()` stops accepting, lets in-flight requests finish,
//! then releases the stores the server opened.

use crate::app::App;
use crate::auth::Keymap;
use crate::config::{Config, KeyEntry, Secret, DEFAULT_CONFIG};
use crate::error::ServerError;
use crate::limits::SHUTDOWN_GRACE_SECS;
use crate::listen::Timeouts;
use crate::log::Logger;
use crate::rate_limit::RateLimiter;
use crate::routes;
use crate::stores::{Bindings, Source, Stores};
use crate::vars::Vars;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

pub enum ConfigSource {
  /// The embedded default config, or — with `env` — one derived from the bindings.
  Default,
  /// JSON text (a config file's content, or `EDGEBASE_CONFIG`).
  Json(String),
  Value(serde_json::Value),
}

pub struct Options {
  pub host: String,
  /// 0 picks a free port.
  pub port: u16,
  /// Where the server opens its stores; `None` = in memory.
  pub persist: Option<PathBuf>,
  pub config: ConfigSource,
  /// Stores handed over by the caller, by binding name; when set, every declared resource must
  /// be found here.
  pub env: Option<Bindings>,
  /// A `.dev.vars` file to read when it exists.
  pub dev_vars: Option<PathBuf>,
  /// Variables that override `.dev.vars` and the process environment.
  pub vars: Vec<(String, String)>,
  /// Structured request logs on stdout.
  pub log: bool,
  /// Read timeouts of the request head and body.
  pub timeouts: Timeouts,
}

impl Default for Options {
  fn default() -> Self {
    Options {
      host: "127.0.0.1".into(),
      port: 0,
      persist: None,
      config: ConfigSource::Default,
      env: None,
      dev_vars: None,
      vars: Vec::new(),
      log: false,
      timeouts: Timeouts::default(),
    }
  }
}

/// The root key generated for a dev server that has none.
#[derive(Clone, Debug)]
pub struct DevKey {
  pub key: String,
  /// The file it is kept in (`<persist>/dev-service-key`), `None` for an in-memory server.
  pub file: Option<PathBuf>,
  /// The variable it stands for (`SERVICE_KEY`).
  pub var: String,
}

/// A validated server, not yet listening.
pub struct Prepared {
  app: Arc<App>,
  pub dev_key: Option<DevKey>,
  /// Things the operator should know (ignored KV rules, rules that always deny).
  pub warnings: Vec<String>,
}

pub const DEV_KEY_FILE: &str = "dev-service-key";

fn dev_key(persist: Option<&Path>) -> Result<(String, Option<PathBuf>), ServerError> {
  let read_err = |file: &Path| {
    let file = file.display().to_string();
    move |source| ServerError::Read { file, source }
  };
  let Some(dir) = persist else {
    return Ok((random_hex(32), None));
  };
  let file = dir.join(DEV_KEY_FILE);
  if let Ok(existing) = std::fs::read_to_string(&file) {
    let existing = existing.trim();
    if !existing.is_empty() {
      return Ok((existing.to_string(), Some(file)));
    }
  }
  let key = random_hex(32);
  std::fs::create_dir_all(dir).map_err(read_err(dir))?;
  write_private(&file, &key).map_err(read_err(&file))?;
  Ok((key, Some(file)))
}

#[cfg(unix)]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
  use std::io::Write;
  use std::os::unix::fs::OpenOptionsExt;
  let mut f = std::fs::OpenOptions::new()
    .write(true)
    .create(true)
    .truncate(true)
    .mode(0o600)
    .open(file)?;
  f.write_all(text.as_bytes())?;
  f.sync_all()
}

#[cfg(not(unix))]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
  std::fs::write(file, text)
}

pub fn random_hex(bytes: usize) -> String {
  let mut buf = vec![0u8; bytes];
  getrandom::fill(&mut buf).expect("the OS random source is available");
  buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the config and variables, resolves keys and opens the stores.
pub fn prepare(opts: &Options) -> Result<Prepared, ServerError> {
  let mut config = match &opts.config {
    ConfigSource::Json(text) => Config::from_json(text)?,
    ConfigSource::Value(v) => Config::from_value(v)?,
    ConfigSource::Default => match &opts.env {
      Some(env) => env.derive_config()?,
      None => Config::from_json(DEFAULT_CONFIG)?,
    },
  };
  let mut vars = Vars::load(opts.dev_vars.as_deref(), opts.vars.iter().cloned())?;
  // No `serviceKeys` at all: EdgeBase's template root key, whose secret is `SERVICE_KEY`.
  let keys = config.service_keys.get_or_insert_with(|| {
    vec![KeyEntry {
      kid: "root".into(),
      root: true,
      scopes: vec!["*".into()],
      secret: Secret::Ref("SERVICE_KEY".into()),
      enabled: true,
      expires_at: None,
      env: vec![],
      ip_cidr: vec![],
      tenant: None,
    }]
  });
  let mut keymap = Keymap::build(keys, &vars);
  let mut dev = None;
  if keymap.is_none() && !config.release {
    // Usable out of the box: a dev server without a resolvable key gets one for its root key.
    let root_var = keys.iter().find_map(|k| match &k.secret {
      Secret::Ref(var) if k.root && k.enabled => Some(var.clone()),
      _ => None,
    });
    if let Some(var) = root_var {
      let (key, file) = dev_key(opts.persist.as_deref())?;
      vars.set(&var, key.clone());
      keymap = Keymap::build(keys, &vars);
      dev = Some(DevKey { key, file, var });
    }
  }
  let mut warnings = Vec::new();
  if config.kv_rules {
    warnings.push(
      "kv rules are not evaluated by the REST routes (as in EdgeBase): KV access needs a service key.".into(),
    );
  }
  for (name, b) in &config.buckets {
    for (action, rule) in [("read", &b.read), ("write", &b.write), ("delete", &b.delete)] {
      if matches!(rule, Some(crate::config::Rule::Function)) {
        warnings.push(format!(
          "storage.buckets.{name}.access.{action} is a function, which this server cannot run: it denies every request without a service key."
        ));
      }
    }
  }
  let source = match &opts.env {
    Some(env) => Source::Env(env),
    None => Source::Open {
      persist: opts.persist.as_deref(),
    },
  };
  let stores = Stores::open(&config, &source)?;
  let app = App {
    limiter: RateLimiter::new(&config),
    keymap,
    jwt_secret: vars.get("JWT_USER_SECRET").map(String::from),
    environment: vars.get("ENVIRONMENT").map(String::from),
    stores,
    log: opts.log.then(Logger::stdout),
    config,
  };
  Ok(Prepared {
    app: Arc::new(app),
    dev_key: dev,
    warnings,
  })
}

/// A listening server.
pub struct Running {
  pub addr: SocketAddr,
  pub dev_key: Option<DevKey>,
  pub warnings: Vec<String>,
  shutdown: Mutex<Option<oneshot::Sender<()>>>,
  done: watch::Receiver<bool>,
}

impl Running {
  pub fn url(&self) -> String {
    format!("http://{}", self.addr)
  }

  /// Stops accepting, waits for in-flight requests (up to the grace period), releases stores.
  /// Idempotent.
  pub async fn close(&self) {
    if let Some(tx) = self.shutdown.lock().unwrap_or_else(|p| p.into_inner()).take() {
      let _ = tx.send(());
    }
    self.wait().await;
  }

  /// Resolves once the server has stopped (by `close()`).
  pub async fn wait(&self) {
    let mut done = self.done.clone();
    let _ = done.wait_for(|d| *d).await;
  }
}

fn bind_addr(host: &str, port: u16) -> String {
  if host.contains(':') && !host.starts_with('[') {
    format!("[{host}]:{port}")
  } else {
    format!("{host}:{port}")
  }
}

impl Prepared {
  /// Binds and starts serving on the current tokio runtime.
  pub async fn listen(self, host: &str, port: u16, timeouts: Timeouts) -> Result<Running, ServerError> {
    let addr = bind_addr(host, port);
    let listener = tokio::net::TcpListener::bind(&addr)
      .await
      .map_err(|source| ServerError::Listen {
        addr: addr.clone(),
        source,
      })?;
    let local = listener
      .local_addr()
      .map_err(|source| ServerError::Listen { addr, source })?;
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = watch::channel(false);
    let (stopping_tx, stopping_rx) = oneshot::channel::<()>();
    let app = self.app.clone();
    let middleware = axum::middleware::from_fn_with_state(app.clone(), crate::app::pipeline);
    let service = tower_layer::Layer::layer(&middleware, routes::router(self.app));
    tokio::spawn(async move {
      let serve = crate::listen::serve(listener, service, timeouts, async move {
        let _ = shutdown_rx.await;
        let _ = stopping_tx.send(());
      });
      let grace = async move {
        if stopping_rx.await.is_ok() {
          tokio::time::sleep(Duration::from_secs(SHUTDOWN_GRACE_SECS)).await;
        } else {
          std::future::pending::<()>().await;
        }
      };
      tokio::select! {
        _ = serve => {}
        _ = grace => {}
      }
      let _ = tokio::task::spawn_blocking(move || app.stores.close()).await;
      let _ = done_tx.send(true);
    });
    Ok(Running {
      addr: local,
      dev_key: self.dev_key,
      warnings: self.warnings,
      shutdown: Mutex::new(Some(shutdown_tx)),
      done: done_rx,
    })
  }
}

/// `prepare` (on a blocking thread: opening a store may wait for its writer) then `listen`.
pub async fn start(opts: Options) -> Result<Running, ServerError> {
  let (host, port, timeouts) = (opts.host.clone(), opts.port, opts.timeouts);
  let prepared = tokio::task::spawn_blocking(move || prepare(&opts))
    .await
    .map_err(|e| ServerError::config("", format!("start-up failed: {e}")))??;
  prepared.listen(&host, port, timeouts).await
}
