//! Every Cloudflare limit the bindings enforce, in one place. Validators and tests use these
//! constants; the message texts that mention them live in each binding's error `Display`.

/// Workers KV (https://developers.cloudflare.com/kv/platform/limits/).
pub mod kv {
  /// Key names are limited to 512 bytes of UTF-8.
  pub const MAX_KEY_BYTES: usize = 512;
  /// Values are limited to 25 MiB.
  pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
  /// Metadata is limited to 1024 bytes of serialized JSON.
  pub const MAX_METADATA_BYTES: usize = 1024;
  /// Expirations must be at least 60 seconds in the future.
  pub const MIN_EXPIRATION_TTL_SECS: i64 = 60;
  /// `cacheTtl` must be at least 30 seconds.
  pub const MIN_CACHE_TTL_SECS: i64 = 30;
  /// `list()` returns at most (and by default) 1000 keys.
  pub const MAX_LIST_KEYS: usize = 1000;
  /// A bulk `get` asks for 1 to 100 keys.
  pub const MAX_BULK_KEYS: usize = 100;
  /// A bulk `get` returns at most 25 MiB of values in total.
  pub const MAX_BULK_VALUE_BYTES: usize = 25 * 1024 * 1024;
}

/// D1 (https://developers.cloudflare.com/d1/platform/limits/), with the SQLite limits workerd's
/// SQL layer sets on every database (what Miniflare's D1 runs on).
pub mod d1 {
  /// Bound parameters per statement (`SQLITE_LIMIT_VARIABLE_NUMBER`).
  pub const MAX_BOUND_PARAMETERS: i32 = 100;
  /// Bytes of SQL per statement (`SQLITE_LIMIT_SQL_LENGTH`).
  pub const MAX_SQL_BYTES: i32 = 100_000;
  /// Columns per table, index or result (`SQLITE_LIMIT_COLUMN`).
  pub const MAX_COLUMNS: i32 = 100;
  /// Bytes in one string or BLOB, and in one row (`SQLITE_LIMIT_LENGTH`; workerd's local value,
  /// production documents 2,000,000).
  pub const MAX_VALUE_BYTES: i32 = 4 * 1024 * 1024;
  /// Depth of an expression tree (`SQLITE_LIMIT_EXPR_DEPTH`).
  pub const MAX_EXPR_DEPTH: i32 = 100;
  /// Terms of a compound SELECT (`SQLITE_LIMIT_COMPOUND_SELECT`).
  pub const MAX_COMPOUND_SELECT: i32 = 5;
  /// Virtual-machine instructions per statement (`SQLITE_LIMIT_VDBE_OP`).
  pub const MAX_VDBE_OPS: i32 = 25_000;
  /// Arguments per SQL function call (`SQLITE_LIMIT_FUNCTION_ARG`).
  pub const MAX_FUNCTION_ARGS: i32 = 127;
  /// Bytes in a LIKE or GLOB pattern (`SQLITE_LIMIT_LIKE_PATTERN_LENGTH`).
  pub const MAX_LIKE_PATTERN_BYTES: i32 = 50;
  /// Nesting depth of triggers (`SQLITE_LIMIT_TRIGGER_DEPTH`).
  pub const MAX_TRIGGER_DEPTH: i32 = 10;
  /// Attached databases: none (`SQLITE_LIMIT_ATTACHED`).
  pub const MAX_ATTACHED: i32 = 0;
  /// How long a statement waits for a lock held by another process before failing with
  /// `SQLITE_BUSY` (D1 itself never shares its file; a local file may be open in a CLI or GUI).
  pub const BUSY_TIMEOUT_MS: u64 = 5_000;
}

/// R2 (https://developers.cloudflare.com/r2/platform/limits/), as Miniflare enforces them.
pub mod r2 {
  /// Object keys are limited to 1024 bytes of UTF-8.
  pub const MAX_KEY_BYTES: usize = 1024;
  /// A single `put` (and one part) is limited to 5 GiB − 5 MiB.
  pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;
  /// `customMetadata` size, counted by Miniflare's rule (see `r2::object::custom_metadata_size`).
  pub const MAX_CUSTOM_METADATA_BYTES: usize = 2048;
  /// `list()` returns at most (and by default) 1000 entries.
  pub const MAX_LIST_KEYS: usize = 1000;
  /// With `include`, Miniflare returns at most 100 entries per page (the docs allow fewer).
  pub const MAX_LIST_KEYS_WITH_INCLUDE: usize = 100;
  /// Multipart part numbers run from 1 to 10000.
  pub const MAX_PART_NUMBER: u32 = 10_000;
  /// Every part but the last must be at least 5 MiB (a bucket option lowers it for tests).
  pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
  /// SSE-C keys are 32 bytes (64 hex characters).
  pub const SSEC_KEY_BYTES: usize = 32;
}

/// Vectorize V2 (https://developers.cloudflare.com/vectorize/platform/limits/).
pub mod vectorize {
  /// Dimensions of an index: 1 to 1536.
  pub const MIN_DIMENSIONS: usize = 1;
  pub const MAX_DIMENSIONS: usize = 1536;
  /// Vector ids are limited to 64 bytes of UTF-8.
  pub const MAX_ID_BYTES: usize = 64;
  /// Namespace names are limited to 64 bytes of UTF-8.
  pub const MAX_NAMESPACE_BYTES: usize = 64;
  /// Metadata is limited to 10 KiB of serialized JSON per vector.
  pub const MAX_METADATA_BYTES: usize = 10 * 1024;
  /// One insert / upsert carries at most 1000 vectors from a Worker.
  pub const MAX_BATCH_VECTORS: usize = 1000;
  /// `topK` when the query does not say.
  pub const DEFAULT_TOP_K: usize = 5;
  /// `topK` ceiling without values or full metadata.
  pub const MAX_TOP_K: usize = 100;
  /// `topK` ceiling with `returnValues: true` or `returnMetadata: "all"`.
  pub const MAX_TOP_K_WITH_DATA: usize = 50;
  /// Metadata indexes per Vectorize index.
  pub const MAX_METADATA_INDEXES: usize = 10;
  /// String metadata indexes hold the first 64 bytes of a value (cut on a UTF-8 boundary).
  pub const INDEXED_STRING_BYTES: usize = 64;
  /// A filter's compact JSON must be shorter than 2048 bytes.
  pub const MAX_FILTER_BYTES: usize = 2048;
  /// Filter keys are at most 512 characters.
  pub const MAX_FILTER_KEY_CHARS: usize = 512;
  /// Index names are at most 64 bytes.
  pub const MAX_INDEX_NAME_BYTES: usize = 64;
}
