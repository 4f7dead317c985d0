//! The engine's limits, for the JS layer (stream reading) and for tests.

use edgebase_engine::limits;
use napi_derive::napi;

#[napi(object)]
pub struct KvLimits {
  pub max_key_bytes: u32,
  pub max_value_bytes: u32,
  pub max_metadata_bytes: u32,
  pub min_expiration_ttl_secs: u32,
  pub min_cache_ttl_secs: u32,
  pub max_list_keys: u32,
  pub max_bulk_keys: u32,
}

#[napi(object)]
pub struct D1Limits {
  pub max_bound_parameters: u32,
  pub max_sql_bytes: u32,
  pub max_columns: u32,
  pub max_value_bytes: u32,
  pub max_like_pattern_bytes: u32,
  pub max_compound_select: u32,
  pub max_expr_depth: u32,
  pub max_function_args: u32,
  pub max_trigger_depth: u32,
  pub busy_timeout_ms: u32,
}

#[napi(object)]
pub struct R2Limits {
  pub max_key_bytes: u32,
  pub max_object_bytes: f64,
  pub max_custom_metadata_bytes: u32,
  pub max_list_keys: u32,
  pub max_part_number: u32,
  pub min_part_bytes: u32,
}

#[napi(object)]
pub struct VectorizeLimits {
  pub min_dimensions: u32,
  pub max_dimensions: u32,
  pub max_id_bytes: u32,
  pub max_namespace_bytes: u32,
  pub max_metadata_bytes: u32,
  pub max_batch_vectors: u32,
  pub default_top_k: u32,
  pub max_top_k: u32,
  pub max_top_k_with_data: u32,
  pub max_metadata_indexes: u32,
  pub indexed_string_bytes: u32,
  pub max_filter_bytes: u32,
}

fn vectorize_limits() -> VectorizeLimits {
  use limits::vectorize::*;
  VectorizeLimits {
    min_dimensions: MIN_DIMENSIONS as u32,
    max_dimensions: MAX_DIMENSIONS as u32,
    max_id_bytes: MAX_ID_BYTES as u32,
    max_namespace_bytes: MAX_NAMESPACE_BYTES as u32,
    max_metadata_bytes: MAX_METADATA_BYTES as u32,
    max_batch_vectors: MAX_BATCH_VECTORS as u32,
    default_top_k: DEFAULT_TOP_K as u32,
    max_top_k: MAX_TOP_K as u32,
    max_top_k_with_data: MAX_TOP_K_WITH_DATA as u32,
    max_metadata_indexes: MAX_METADATA_INDEXES as u32,
    indexed_string_bytes: INDEXED_STRING_BYTES as u32,
    max_filter_bytes: MAX_FILTER_BYTES as u32,
  }
}

#[napi(object)]
pub struct Limits {
  pub kv: KvLimits,
  pub d1: D1Limits,
  pub r2: R2Limits,
  pub vectorize: VectorizeLimits,
}

#[napi]
pub fn limits() -> Limits {
  use limits::kv::*;
  Limits {
    kv: KvLimits {
      max_key_bytes: MAX_KEY_BYTES as u32,
      max_value_bytes: MAX_VALUE_BYTES as u32,
      max_metadata_bytes: MAX_METADATA_BYTES as u32,
      min_expiration_ttl_secs: MIN_EXPIRATION_TTL_SECS as u32,
      min_cache_ttl_secs: MIN_CACHE_TTL_SECS as u32,
      max_list_keys: MAX_LIST_KEYS as u32,
      max_bulk_keys: MAX_BULK_KEYS as u32,
    },
    d1: {
      use limits::d1::*;
      D1Limits {
        max_bound_parameters: MAX_BOUND_PARAMETERS as u32,
        max_sql_bytes: MAX_SQL_BYTES as u32,
        max_columns: MAX_COLUMNS as u32,
        max_value_bytes: MAX_VALUE_BYTES as u32,
        max_like_pattern_bytes: MAX_LIKE_PATTERN_BYTES as u32,
        max_compound_select: MAX_COMPOUND_SELECT as u32,
        max_expr_depth: MAX_EXPR_DEPTH as u32,
        max_function_args: MAX_FUNCTION_ARGS as u32,
        max_trigger_depth: MAX_TRIGGER_DEPTH as u32,
        busy_timeout_ms: BUSY_TIMEOUT_MS as u32,
      }
    },
    r2: {
      use limits::r2::*;
      R2Limits {
        max_key_bytes: MAX_KEY_BYTES as u32,
        max_object_bytes: MAX_OBJECT_BYTES as f64,
        max_custom_metadata_bytes: MAX_CUSTOM_METADATA_BYTES as u32,
        max_list_keys: MAX_LIST_KEYS as u32,
        max_part_number: MAX_PART_NUMBER,
        min_part_bytes: MIN_PART_BYTES as u32,
      }
    },
    vectorize: vectorize_limits(),
  }
}
