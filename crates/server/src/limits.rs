//! Limits of the HTTP layer (the bindings' own limits live in `edgebase_engine::limits`).

/// Largest JSON body a route reads: a 25 MiB KV value plus its JSON envelope and escapes fits;
/// a bigger body is refused with 413 before it is read.
pub const MAX_JSON_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long `close()` waits for in-flight requests before dropping their connections.
pub const SHUTDOWN_GRACE_SECS: u64 = 10;
