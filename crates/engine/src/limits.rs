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
