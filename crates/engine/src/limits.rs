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
