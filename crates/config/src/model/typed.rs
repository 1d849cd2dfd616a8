//! Typed reads of configuration values with Kafka `ConfigDef` parsing rules (values are
//! trimmed; BOOLEAN is `true`/`false` in any case; INT/LONG/SHORT are decimal; LIST splits
//! on commas) and errors that name the file, line and key.

use std::time::Duration;

use crate::document::error::ConfigError;

/// The longest duration any setting accepts: 365 days (31 536 000 s). Every interval and
/// timeout is added to a monotonic clock reading at run time, which overflows (and panics)
/// for values near `u64::MAX` seconds; a year is far beyond any sensible setting and far
/// below that limit.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);
use crate::document::value::{Value, ValueMap};

/// Reads values out of one effective map, reporting errors against `file`.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
    pub(crate) map: &'a ValueMap,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(file: &'a str, map: &'a ValueMap) -> Self {
        Self { file, map }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub(crate) fn str_or(&self, key: &str, default: &str) -> String {
        self.get(key)
            .map_or_else(|| default.to_owned(), |v| v.expose().trim().to_owned())
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => parse_bool(self.file, key, v),
        }
    }

    /// A LONG that must be >= `min`.
    pub(crate) fn long_or(&self, key: &str, default: i64, min: i64) -> Result<i64, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        v.expose()
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= min)
            .ok_or_else(|| ConfigError::invalid(self.file, v, key, format!("an integer >= {min}")))
    }

    /// An INT that must be >= `min`.
    pub(crate) fn int_or(&self, key: &str, default: i32, min: i32) -> Result<i32, ConfigError> {
        let n = self.long_or(key, i64::from(default), i64::from(min))?;
        i32::try_from(n).map_err(|_| self.out_of_range(key, "a 32-bit integer"))
    }

    /// A replication factor: -1 (broker default) or a positive number that fits `max`.
    pub(crate) fn replication_factor_or(
        &self,
        key: &str,
        default: i32,
        max: i32,
    ) -> Result<i32, ConfigError> {
        let expected = format!("-1 (broker default) or a replication factor from 1 to {max}");
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        v.expose()
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| *n == -1 || (1..=max).contains(n))
            .ok_or_else(|| ConfigError::invalid(self.file, v, key, expected))
    }

    /// A non-negative number of seconds.
    pub(crate) fn seconds_or(&self, key: &str, default: u64) -> Result<Duration, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(Duration::from_secs(default));
        };
        v.expose()
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(|| {
                ConfigError::invalid(
                    self.file,
                    v,
                    key,
                    format!(
                        "a whole number of seconds >= 0 and <= {} (365 days; use the matching \
                         `.enabled = false` to turn the task off)",
                        MAX_DURATION.as_secs()
                    ),
                )
            })
    }

    /// A non-negative number of milliseconds.
    pub(crate) fn millis_or(&self, key: &str, default: u64) -> Result<Duration, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(Duration::from_millis(default));
        };
        v.expose()
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_millis)
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(|| {
                ConfigError::invalid(
                    self.file,
                    v,
                    key,
                    format!(
                        "a whole number of milliseconds >= 0 and <= {} (365 days)",
                        MAX_DURATION.as_millis()
                    ),
                )
            })
    }

    /// One of `choices` (case-insensitive), mapped through `f`.
    pub(crate) fn choice_or<T: Copy>(
        &self,
        key: &str,
        default: T,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let text = v.expose().trim();
        choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                ConfigError::invalid(self.file, v, key, format!("one of {}", names.join(", ")))
            })
    }

    fn out_of_range(&self, key: &str, expected: &str) -> ConfigError {
        match self.get(key) {
            Some(v) => ConfigError::invalid(self.file, v, key, expected),
            None => ConfigError::Missing {
                at: crate::document::error::Location::new(self.file, 0, key),
                expected: expected.to_owned(),
            },
        }
    }
}

/// Kafka BOOLEAN: `true` / `false`, any case, surrounding whitespace ignored.
pub(crate) fn parse_bool(file: &str, key: &str, v: &Value) -> Result<bool, ConfigError> {
    let t = v.expose().trim();
    if t.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if t.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ConfigError::invalid(file, v, key, "true or false"))
    }
}

/// Parses `bootstrap.servers`: a comma list of `host:port` (IPv6 as `[addr]:port`).
pub(crate) fn parse_bootstrap(
    file: &str,
    key: &str,
    v: &Value,
) -> Result<Vec<String>, ConfigError> {
    let expected = "a comma-separated list of host:port addresses, e.g. broker1:9092,broker2:9092";
    let servers: Vec<String> = v
        .expose()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let valid = |s: &String| {
        s.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok()
        })
    };
    if servers.is_empty() || !servers.iter().all(valid) {
        return Err(ConfigError::invalid(file, v, key, expected));
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::value::Origin;

    fn map(k: &str, v: &str) -> ValueMap {
        let mut m = ValueMap::new();
        m.insert(
            k.into(),
            Value::for_key(k, v, Origin::line(format!("A->B.{k}"), 4)),
        );
        m
    }

    #[test]
    fn booleans() {
        let m = map("enabled", " TRUE ");
        assert!(
            Reader::new("f", &m)
                .bool_or("enabled", false)
                .expect("bool")
        );
        let m = map("enabled", "yes");
        let e = Reader::new("f", &m)
            .bool_or("enabled", false)
            .expect_err("bad");
        assert_eq!(
            e.to_string(),
            "f:4: `A->B.enabled` = `yes`: expected true or false"
        );
    }

    #[test]
    fn numbers() {
        let m = map("x", "600");
        let r = Reader::new("f", &m);
        assert_eq!(
            r.seconds_or("x", 1).expect("secs"),
            Duration::from_secs(600)
        );
        assert_eq!(
            r.seconds_or("y", 1).expect("default"),
            Duration::from_secs(1)
        );
        let m = map("x", "ten");
        assert!(Reader::new("f", &m).seconds_or("x", 1).is_err());
        let m = map("x", "31536000");
        assert_eq!(
            Reader::new("f", &m).seconds_or("x", 1).expect("max"),
            MAX_DURATION
        );
        let m = map("x", "31536001");
        assert!(Reader::new("f", &m).seconds_or("x", 1).is_err());
        let m = map("x", "31536000001");
        assert!(Reader::new("f", &m).millis_or("x", 1).is_err());
        let m = map("rf", "-1");
        assert_eq!(
            Reader::new("f", &m)
                .replication_factor_or("rf", 3, 32767)
                .expect("rf"),
            -1
        );
        let m = map("rf", "0");
        assert!(
            Reader::new("f", &m)
                .replication_factor_or("rf", 3, 32767)
                .is_err()
        );
    }

    #[test]
    fn bootstrap() {
        let v = Value::for_key("bootstrap.servers", "a:1, [::1]:2", Origin::Default);
        assert_eq!(
            parse_bootstrap("f", "k", &v).expect("ok"),
            vec!["a:1", "[::1]:2"]
        );
        for bad in ["", "a", "a:x", ":9092", "a:70000"] {
            let v = Value::for_key("bootstrap.servers", bad, Origin::Default);
            assert!(parse_bootstrap("f", "k", &v).is_err(), "{bad}");
        }
    }
}
