//! Configuration from JSON text, JSON values and TOML through serde.
//!
//! Never a panic, the same answer whatever the route (text, value, serde with
//! JSON, serde with TOML), and every refusal says which key is wrong (or that
//! the input is not a map, or not JSON at all).
//!
//! An input whose first byte is `0xFF` (never the start of UTF-8 text) is read
//! as a structured map built with `arbitrary`, so most inputs reach the key
//! handling; any other input is raw text, read as JSON and as TOML.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use auto_logout::{Config, ConfigError};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// Every key the crate reads, upper case, as its unknown-key error lists them
/// (so a key added to the crate is fuzzed without touching this file).
fn known_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| match Config::from_json(r#"{"no such key": 0}"#) {
        Err(ConfigError::UnknownKey { allowed, .. }) => {
            let keys: Vec<&'static str> = allowed.split(", ").collect();
            assert!(keys.len() >= 16 && keys.contains(&"IDLE_TIME"), "{allowed}");
            keys
        }
        other => panic!("an unknown key gave {other:?}"),
    })
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0xFF, rest)) => structured(rest),
        _ => raw(data),
    }
});

/// The keys of the input as written, or `None` when the input is not a map.
type InputKeys = Option<Vec<String>>;

fn raw(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed: Result<Value, _> = serde_json::from_str(&text);
    let result = Config::from_json(&text);
    match (&parsed, &result) {
        (Err(_), Err(ConfigError::Syntax { .. })) => {}
        (Err(e), other) => panic!("JSON the parser refuses ({e}) gave {other:?}"),
        (Ok(value), _) => {
            check(&result, &keys_of(value));
            assert_eq!(
                result,
                Config::from_value(value.clone()),
                "from_json ≠ from_value"
            );
            same_through_serde(&result, serde_json::from_str::<Config>(&text));
        }
    }
    if let Ok(table) = toml::from_str::<toml::Table>(&text) {
        through_toml(table, Some(&text));
    }
}

fn structured(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let value = input.to_value();
    let result = Config::from_value(value.clone());
    check(&result, &keys_of(&value));
    same_verdict(&result, &Config::from_json(&value.to_string()));
    same_through_serde(&result, serde_json::from_value::<Config>(value.clone()));
    if let Some(toml::Value::Table(table)) = to_toml(&value) {
        through_toml(table, None);
    }
}

/// The same answer from a value and from its JSON text. The text of a float
/// may read back one last digit apart (serde_json's float parsing), so an
/// error about a value is compared by key and by what is allowed.
fn same_verdict(a: &Result<Config, ConfigError>, b: &Result<Config, ConfigError>) {
    match (a, b) {
        (
            Err(ConfigError::InvalidValue { key, expected, .. }),
            Err(ConfigError::InvalidValue {
                key: key2,
                expected: expected2,
                ..
            }),
        ) => assert_eq!((key, expected), (key2, expected2), "value ≠ text"),
        _ => assert_eq!(a, b, "value ≠ text"),
    }
}

/// TOML deserialized through serde must agree with the JSON form of the same map.
fn through_toml(table: toml::Table, text: Option<&str>) {
    let keys = Some(table.keys().cloned().collect());
    let expected = Config::from_value(toml_to_json(&toml::Value::Table(table.clone())));
    check(&expected, &keys);
    let toml_value = toml::Value::Table(table);
    let got = Config::deserialize(toml_value.clone());
    match (&expected, &got) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "TOML and JSON read the same map differently"),
        (Err(a), Err(b)) => assert!(
            b.to_string().contains(&a.to_string()),
            "TOML error {b:?} lost the message {a}"
        ),
        _ => panic!("TOML gave {got:?}, JSON {expected:?}"),
    }
    // From the text, serde sees a datetime as a map rather than a string (the
    // toml crate's two deserializers differ), so only tables without one are
    // compared, and only by verdict (the error is checked above).
    if let Some(text) = text.filter(|_| !has_datetime(&toml_value)) {
        match (&got, toml::from_str::<Config>(text)) {
            (Ok(a), Ok(b)) => assert_eq!(a, &b),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("TOML value gave {a:?}, TOML text {b:?}"),
        }
    }
}

fn has_datetime(value: &toml::Value) -> bool {
    match value {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(items) => items.iter().any(has_datetime),
        toml::Value::Table(t) => t.values().any(has_datetime),
        _ => false,
    }
}

/// What serde sees in a TOML value, as JSON (a datetime is its text).
fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => items.iter().map(toml_to_json).collect(),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// serde's route (`Deserialize`) agrees with the direct one and keeps its message.
fn same_through_serde<E: std::fmt::Display + std::fmt::Debug>(
    direct: &Result<Config, ConfigError>,
    via_serde: Result<Config, E>,
) {
    match (direct, &via_serde) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert!(
            b.to_string().contains(&a.to_string()),
            "serde error {b} lost the message {a}"
        ),
        _ => panic!("serde gave {via_serde:?}, direct {direct:?}"),
    }
}

fn keys_of(value: &Value) -> InputKeys {
    value.as_object().map(|map| map.keys().cloned().collect())
}

fn has_key(keys: &[String], upper: &str) -> bool {
    keys.iter().any(|k| k.to_ascii_uppercase() == upper)
}

/// The assertions on one result.
fn check(result: &Result<Config, ConfigError>, keys: &InputKeys) {
    let err = match result {
        Ok(config) => {
            let keys = keys.as_ref().expect("only a map is accepted");
            assert_eq!(config.idle_time().is_some(), has_key(keys, "IDLE_TIME"));
            assert_eq!(
                config.session_time().is_some(),
                has_key(keys, "SESSION_TIME")
            );
            assert_eq!(config.warn_before().is_some(), has_key(keys, "WARN_BEFORE"));
            let _ = format!("{config:?}");
            return;
        }
        Err(err) => err,
    };
    let msg = err.to_string();
    let Some(keys) = keys else {
        assert!(
            matches!(err, ConfigError::NotAMap { .. }),
            "not a map, yet: {err:?}"
        );
        assert!(msg.contains("must be a map"), "{msg}");
        return;
    };
    match err {
        ConfigError::NotAMap { .. } | ConfigError::Syntax { .. } => {
            panic!("a map refused as {err:?}")
        }
        ConfigError::UnknownKey { key, .. } => {
            assert!(keys.contains(key), "unknown key {key:?} not in the input");
            assert!(
                !known_keys().contains(&key.to_ascii_uppercase().as_str()),
                "{key:?} is known"
            );
            assert!(msg.contains(&format!("`{key}`")), "{msg}");
        }
        ConfigError::DuplicateKey { key } => {
            let n = keys
                .iter()
                .filter(|k| k.to_ascii_uppercase() == *key)
                .count();
            assert!(n >= 2, "{key} given {n} times, yet: {msg}");
            assert!(msg.contains(key), "{msg}");
        }
        ConfigError::InvalidValue { key, .. } | ConfigError::Requires { key, .. } => {
            assert!(known_keys().contains(key), "{key}");
            assert!(has_key(keys, key), "{key} not in the input, yet: {msg}");
            assert!(msg.starts_with(key), "{msg}");
        }
        ConfigError::WarnTooLong { limit, .. } => {
            assert!(
                has_key(keys, "WARN_BEFORE") && has_key(keys, limit),
                "{msg}"
            );
            assert!(msg.contains("WARN_BEFORE") && msg.contains(limit), "{msg}");
        }
        _ => assert!(
            known_keys()
                .iter()
                .any(|k| has_key(keys, k) && msg.contains(k)),
            "the error names no key of the input: {msg}"
        ),
    }
}

/// A map of keys to values, mostly the crate's own keys in some case.
#[derive(Arbitrary, Debug)]
struct Input {
    not_a_map: Option<Val>,
    entries: Vec<(Key, Val)>,
}

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8, Case),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Case {
    Upper,
    Lower,
    Mixed(u32),
}

#[derive(Arbitrary, Debug)]
enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Seconds(u16),
    Float(f64),
    Text(Text),
    List(Vec<Text>),
    Map(Vec<(String, i64)>),
}

#[derive(Arbitrary, Debug)]
enum Text {
    Any(String),
    /// A time such as "90s" or "1h 30m".
    Time(u32, u8, Option<(u16, u8)>),
    /// "/" followed by anything.
    Path(String),
    /// Characters an endpoint prefix or CSS class may hold.
    Word(Vec<u8>),
}

impl Input {
    fn to_value(&self) -> Value {
        if let Some(v) = &self.not_a_map {
            return v.to_value();
        }
        let mut map = Map::new();
        for (key, val) in &self.entries {
            map.insert(key.to_string(), val.to_value());
        }
        Value::Object(map)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Other(s) => f.write_str(s),
            Key::Known(i, case) => {
                let k = known_keys()[usize::from(*i) % known_keys().len()];
                match case {
                    Case::Upper => f.write_str(k),
                    Case::Lower => f.write_str(&k.to_ascii_lowercase()),
                    Case::Mixed(mask) => {
                        for (i, c) in k.chars().enumerate() {
                            let lower = mask >> (i % 32) & 1 == 1;
                            let c = if lower { c.to_ascii_lowercase() } else { c };
                            write!(f, "{c}")?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

impl Val {
    fn to_value(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Seconds(s) => Value::from(*s),
            Val::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Val::Text(t) => Value::String(t.to_string()),
            Val::List(items) => items.iter().map(|t| Value::String(t.to_string())).collect(),
            Val::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(*v)))
                    .collect(),
            ),
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [&str; 10] = ["", "s", "ms", "m", "min", "h", "d", "days", "w", "x"];
        const WORD: &[u8] = b"abz09-_./AZ";
        match self {
            Text::Any(s) => f.write_str(s),
            Text::Time(n, u, more) => {
                write!(f, "{n}{}", UNITS[usize::from(*u) % UNITS.len()])?;
                if let Some((n, u)) = more {
                    write!(f, " {n}{}", UNITS[usize::from(*u) % UNITS.len()])?;
                }
                Ok(())
            }
            Text::Path(s) => write!(f, "/{s}"),
            Text::Word(bytes) => {
                for b in bytes {
                    write!(f, "{}", char::from(WORD[usize::from(*b) % WORD.len()]))?;
                }
                Ok(())
            }
        }
    }
}

/// The same value in TOML, when TOML can hold it (no null anywhere).
fn to_toml(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => {
            toml::Value::Array(items.iter().map(to_toml).collect::<Option<_>>()?)
        }
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}
