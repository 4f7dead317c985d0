//! The stores behind the routes. `Bindings` holds them by Worker binding name — what Node hands
//! over with `startServer({ env })`, or what the server opens itself under `persist` (or in
//! memory). `Stores` resolves each declared resource name of the config to its store.

use crate::config::{Config, Resource};
use crate::error::ServerError;
use edgebase_engine::kv::KvNamespace;
use edgebase_engine::Clock;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Stores by binding name.
#[derive(Clone, Default)]
pub struct Bindings {
  pub kv: HashMap<String, Arc<KvNamespace>>,
}

impl Bindings {
  /// A config serving every binding under its own name (`startServer({ env })` without a
  /// config).
  pub fn derive_config(&self) -> Result<Config, ServerError> {
    let mut c = Config::default();
    for name in self.kv.keys() {
      c.kv.insert(
        name.clone(),
        Resource {
          binding: name.clone(),
        },
      );
    }
    Ok(c)
  }
}

/// Stores by resource name, ready for the routes.
#[derive(Default)]
pub struct Stores {
  pub kv: HashMap<String, Arc<KvNamespace>>,
  /// What this server opened itself (and so closes when it stops).
  opened: Bindings,
}

/// How a store is found: handed over (`env`), or opened under `persist` / in memory.
pub enum Source<'a> {
  Env(&'a Bindings),
  Open { persist: Option<&'a Path> },
}

fn store_error(what: String) -> impl FnOnce(edgebase_engine::kv::KvError) -> ServerError {
  move |e| ServerError::Store {
    what,
    source: Box::new(e),
  }
}

impl Stores {
  pub fn open(config: &Config, source: &Source) -> Result<Stores, ServerError> {
    let mut s = Stores::default();
    for (name, r) in &config.kv {
      let store = match source {
        Source::Env(env) => env.kv.get(&r.binding).cloned().ok_or_else(|| {
          ServerError::config(
            format!("kv.{name}.binding"),
            format!("'{}' is not a KVNamespace in env", r.binding),
          )
        })?,
        Source::Open { persist } => match s.opened.kv.get(&r.binding) {
          Some(kv) => kv.clone(),
          None => {
            let what = format!("KV namespace '{name}' (binding {})", r.binding);
            let kv = match persist {
              Some(dir) => KvNamespace::persistent(dir, &r.binding, Clock::System),
              None => KvNamespace::in_memory(&r.binding, Clock::System),
            }
            .map_err(store_error(what))?;
            let kv = Arc::new(kv);
            s.opened.kv.insert(r.binding.clone(), kv.clone());
            kv
          }
        },
      };
      s.kv.insert(name.clone(), store);
    }
    Ok(s)
  }

  /// Releases the stores this server opened (blocking until queued writes are durable); stores
  /// handed over in `env` stay open for their owner.
  pub fn close(&self) {
    for kv in self.opened.kv.values() {
      kv.close();
    }
  }
}
