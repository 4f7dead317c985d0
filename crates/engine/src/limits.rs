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
