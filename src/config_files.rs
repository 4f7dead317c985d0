//! Config file formats for `createEnv` (lib/wrangler-config.js): TOML (wrangler.toml) as JSON
//! text, and dotenv files (`.dev.vars`, `.env`) with the same parser the server reads them with.
//! The JS layer decides what the values mean.

use napi_derive::napi;

/// A TOML document as JSON text. Dates and times become their TOML text (RFC 3339); NaN and
/// infinities, which JSON cannot hold, become `null`. Errors carry TOML's line, column and snippet.
#[napi(catch_unwind)]
pub fn parse_toml(text: String) -> napi::Result<String> {
  let table: toml::Table = text
    .parse()
    .map_err(|e: toml::de::Error| napi::Error::from_reason(e.to_string().trim_end().to_string()))?;
  Ok(to_json(toml::Value::Table(table)).to_string())
}

fn to_json(value: toml::Value) -> serde_json::Value {
  use serde_json::Value as J;
  match value {
    toml::Value::String(s) => J::String(s),
    toml::Value::Integer(i) => J::from(i),
    toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
    toml::Value::Boolean(b) => J::Bool(b),
    toml::Value::Datetime(d) => J::String(d.to_string()),
    toml::Value::Array(a) => J::Array(a.into_iter().map(to_json).collect()),
    toml::Value::Table(t) => J::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
  }
}

/// `KEY=value` pairs of a dotenv file in file order (a later duplicate wins when collected).
#[napi(catch_unwind)]
pub fn parse_dotenv(text: String) -> Vec<Vec<String>> {
  edgebase_server::vars::parse_dotenv(&text)
    .into_iter()
    .map(|(k, v)| vec![k, v])
    .collect()
}
