//! The engine behind `@edgebase/native`: every storage and semantics decision of the bindings.
//!
//! Pure Rust; never depends on napi, so the standalone server links it without Node. The binding
//! crate (repository root) only converts arguments and results.

pub mod clock;
pub mod d1;
pub mod error;
pub mod json;
pub mod kv;
pub mod limits;
pub mod persist;
pub mod r2;
pub mod vectorize;
pub mod wait;

pub use clock::Clock;
pub use error::{BindingError, ErrorClass, StorageError};
