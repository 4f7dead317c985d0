//! Secrets and variables the config refers to (`secretRef`, `JWT_USER_SECRET`, `ENVIRONMENT`):
//! `.dev.vars` (wrangler's dotenv file), overridden by the process environment, overridden by
//! values given explicitly (from Node).

use crate::error::ServerError;
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
  /// `.dev.vars` at `dev_vars` when it exists, then the process environment, then `explicit`.
  pub fn load(
    dev_vars: Option<&Path>,
    explicit: impl IntoIterator<Item = (String, String)>,
  ) -> Result<Vars, ServerError> {
    let mut vars = HashMap::new();
    if let Some(file) = dev_vars.filter(|f| f.is_file()) {
      let text = std::fs::read_to_string(file).map_err(|source| ServerError::Read {
        file: file.display().to_string(),
        source,
      })?;
      vars.extend(parse_dotenv(&text));
    }
    vars.extend(std::env::vars());
    vars.extend(explicit);
    Ok(Vars(vars))
  }

  pub fn from_map(map: HashMap<String, String>) -> Vars {
    Vars(map)
  }

  /// A non-empty value (an empty variable counts as unset, as in EdgeBase's key resolution).
  pub fn get(&self, name: &str) -> Option<&str> {
    self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
  }

  pub fn set(&mut self, name: &str, value: String) {
    self.0.insert(name.into(), value);
  }
}

/// `KEY=value` lines; `#` comments, blank lines, an `export ` prefix and single or double quotes
/// (double quotes understand `\n`) as dotenv files have them.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
  let mut out = Vec::new();
  for line in text.lines() {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
      continue;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let Some((k, v)) = line.split_once('=') else {
      continue;
    };
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() {
      continue;
    }
    let value = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
      v[1..v.len() - 1].replace("\\n", "\n").replace("\\\"", "\"")
    } else if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
      v[1..v.len() - 1].to_string()
    } else {
      // An unquoted value ends at a ` #` comment.
      v.split(" #").next().unwrap_or("").trim_end().to_string()
    };
    out.push((k.to_string(), value));
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn dotenv_forms() {
    let vars = parse_dotenv(
      "# secrets\nSERVICE_KEY=abc\nexport JWT_USER_SECRET = \"a b\\nc\"\nQ='x=y' \nC=v # note\n\nnoequals\n=x\n",
    );
    assert_eq!(
      vars,
      vec![
        ("SERVICE_KEY".into(), "abc".into()),
        ("JWT_USER_SECRET".into(), "a b\nc".into()),
        ("Q".into(), "x=y".into()),
        ("C".into(), "v".into()),
      ]
    );
  }

  #[test]
  fn explicit_values_win_and_empty_is_unset() {
    let v = Vars::load(
      None,
      [
        ("EB_TEST_VAR_X".to_string(), "1".to_string()),
        ("E".into(), String::new()),
      ],
    )
    .unwrap();
    assert_eq!(v.get("EB_TEST_VAR_X"), Some("1"));
    assert_eq!(v.get("E"), None);
  }
}
