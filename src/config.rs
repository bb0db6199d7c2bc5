//! Configs arrive as plain JSON-like objects (from JS, or `serde_json::json!` in tests). `Fields`
//! reads them one field at a time, so every error names the field it is about.

use serde_json::{Map, Value};

use crate::error::LabError;

/// A config object being read; `name` prefixes nested fields (e.g. `task.classes`).
pub struct Fields<'a> {
    map: Map<String, Value>,
    name: &'a str,
}

impl<'a> Fields<'a> {
    /// `value` must be an object; `null` (JS `undefined`) reads as an empty one.
    pub fn new(value: &Value, name: &'a str) -> Result<Self, LabError> {
        match value {
            Value::Object(map) => Ok(Self { map: map.clone(), name }),
            Value::Null => Ok(Self { map: Map::new(), name }),
            other => Err(LabError::config(
                if name.is_empty() { "config" } else { name },
                format!("must be an object, got {}", kind(other)),
            )),
        }
    }

    /// The full name of a field, as errors show it.
    pub fn path(&self, key: &str) -> String {
        if self.name.is_empty() { key.to_string() } else { format!("{}.{key}", self.name) }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Rejects fields this config does not know (a typo would otherwise be silently ignored).
    pub fn only(&self, known: &[&str]) -> Result<(), LabError> {
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(LabError::config(
                    self.path(key),
                    format!("unknown field; expected one of: {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn number(&self, key: &str) -> Result<Option<f64>, LabError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(LabError::config(self.path(key), "must be a finite number")),
            },
            Some(other) => Err(LabError::config(self.path(key), format!("must be a number, got {}", kind(other)))),
        }
    }

    /// A finite number > 0.
    pub fn positive(&self, key: &str, default: f64) -> Result<f64, LabError> {
        let x = self.number(key)?.unwrap_or(default);
        if x > 0.0 { Ok(x) } else { Err(LabError::config(self.path(key), format!("must be > 0, got {x}"))) }
    }

    /// A finite number ≥ 0.
    pub fn non_negative(&self, key: &str, default: f64) -> Result<f64, LabError> {
        let x = self.number(key)?.unwrap_or(default);
        if x >= 0.0 { Ok(x) } else { Err(LabError::config(self.path(key), format!("must be ≥ 0, got {x}"))) }
    }

    /// A number in (lo, hi].
    pub fn in_half_open(&self, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64, LabError> {
        let x = self.number(key)?.unwrap_or(default);
        if x > lo && x <= hi {
            Ok(x)
        } else {
            Err(LabError::config(self.path(key), format!("must be in ({lo}, {hi}], got {x}")))
        }
    }

    /// An integer in [min, max].
    pub fn integer(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64, LabError> {
        let Some(x) = self.number(key)? else { return Ok(default) };
        if x.fract() != 0.0 || x < min as f64 || x > max as f64 {
            return Err(LabError::config(self.path(key), format!("must be an integer in {min}..={max}, got {x}")));
        }
        Ok(x as u64)
    }

    /// true or false.
    pub fn boolean(&self, key: &str, default: bool) -> Result<bool, LabError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(LabError::config(self.path(key), format!("must be true or false, got {}", kind(other)))),
        }
    }

    /// Whether the field is present (and not null).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// One of `choices`, as given.
    pub fn choice(&self, key: &str, default: &'static str, choices: &[&'static str]) -> Result<&'static str, LabError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::String(s)) => choices.iter().copied().find(|c| c == s).ok_or_else(|| {
                LabError::config(self.path(key), format!("unknown value \"{s}\"; expected one of: {}", choices.join(", ")))
            }),
            Some(other) => Err(LabError::config(self.path(key), format!("must be a string, got {}", kind(other)))),
        }
    }

    /// A list of integers (e.g. classes); `None` when absent.
    pub fn integers(&self, key: &str) -> Result<Option<Vec<i64>>, LabError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v.as_f64() {
                    Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => Ok(x as i64),
                    _ => Err(LabError::config(self.path(key), format!("must hold integers, got {v}"))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(LabError::config(self.path(key), format!("must be an array, got {}", kind(other)))),
        }
    }

    /// A nested object (absent reads as empty).
    pub fn object(&self, key: &str) -> Result<Value, LabError> {
        match self.get(key) {
            None => Ok(Value::Null),
            Some(v @ Value::Object(_)) => Ok(v.clone()),
            Some(other) => Err(LabError::config(self.path(key), format!("must be an object, got {}", kind(other)))),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field() {
        let v = json!({ "lr": -1, "steps": 0.5, "strategy": "nope", "extra": 1 });
        let f = Fields::new(&v, "").unwrap();
        assert!(f.positive("lr", 1e-3).unwrap_err().to_string().starts_with("lr:"));
        assert!(f.integer("steps", 1, 1, 10).unwrap_err().to_string().starts_with("steps:"));
        assert!(f.choice("strategy", "full", &["full"]).unwrap_err().to_string().starts_with("strategy:"));
        assert!(f.only(&["lr", "steps", "strategy"]).unwrap_err().to_string().starts_with("extra:"));
        let nested = Fields::new(&json!({ "fraction": 2 }), "task").unwrap();
        assert!(nested.in_half_open("fraction", 0.02, 0.0, 1.0).unwrap_err().to_string().starts_with("task.fraction:"));
        assert_eq!(f.positive("missing", 0.5).unwrap(), 0.5);
    }
}
