//! The EdgeBase REST routes over the `@edgebase/native` engine: an axum server that the Node
//! addon starts in-process (`startServer`) and that ships as the standalone `edgebase-native`
//! binary (`src/main.rs`). No napi here.

pub mod app;
pub mod auth;
pub mod config;
pub mod cors;
pub mod error;
pub mod json;
pub mod limits;
pub mod listen;
pub mod log;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod stores;
pub mod time;
pub mod vars;

pub use edgebase_engine as engine;
pub use error::ServerError;
pub use listen::Timeouts;
pub use server::{start, ConfigSource, DevKey, Options, Running};
pub use stores::Bindings;
