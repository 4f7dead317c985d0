//! Limits of the HTTP layer (the bindings' own limits live in `edgebase_engine::limits`).

/// Largest JSON body a route reads: a 25 MiB KV value plus its JSON envelope and escapes fits;
/// a bigger body is refused with 413 before it is read.
pub const MAX_JSON_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long `close()` waits for in-flight requests before dropping their connections.
pub const SHUTDOWN_GRACE_SECS: u64 = 10;

/// After refusing an over-size body, how much more of it is read and dropped (and for how long)
/// so that a client still sending gets the 413 rather than a connection reset.
pub const DRAIN_BYTES: usize = 64 * 1024 * 1024;
pub const DRAIN_SECS: u64 = 2;

/// A request's line and headers must arrive within this (slow or stalled clients are dropped).
pub const HEADER_READ_TIMEOUT_SECS: u64 = 30;

/// While a request body is read or a response written, the longest wait for progress: a stalled
/// upload or an unread download ends, one that keeps moving is never cut off, however large.
pub const BODY_IDLE_TIMEOUT_SECS: u64 = 60;
