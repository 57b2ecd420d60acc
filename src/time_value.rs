//! Times as people write them: whole seconds, `Duration`s, or `"1h 30m"`.

use std::fmt;
use std::time::Duration;

/// The longest limit accepted: ten years. Longer values are almost certainly a
/// unit mistake (milliseconds given as seconds), and refusing them keeps every
/// deadline far from integer overflow.
/// What a time key accepts, for error messages.
pub(crate) const EXPECT_TIME: &str =
    "a time greater than zero (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")";

pub(crate) const MAX_TIME_MILLIS: i64 = 10 * 365 * 24 * 60 * 60 * 1000;

/// A time as given to the builder: seconds, a [`std::time::Duration`], a
/// [`time::Duration`], or a human string such as `"10m"`, `"1h 30m"` or `"90s"`.
///
/// It is checked when the configuration is built, so a bad value is reported
/// once, with the key it was given for.
///
/// ```
/// use auto_logout::Config;
/// use std::time::Duration;
///
/// // Four spellings of ten minutes.
/// for idle in [
///     Config::builder().idle_time(600),
///     Config::builder().idle_time(Duration::from_secs(600)),
///     Config::builder().idle_time(time::Duration::minutes(10)),
///     Config::builder().idle_time("10m"),
/// ] {
///     assert_eq!(idle.build()?.idle_time(), Some(Duration::from_secs(600)));
/// }
/// # Ok::<(), auto_logout::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TimeValue {
    /// Whole seconds, as in Django's settings.
    Seconds(i64),
    /// A standard library duration.
    Std(Duration),
    /// A `time` crate duration (may be negative, which is refused).
    Time(time::Duration),
    /// A human string: `"600"`, `"90s"`, `"10m"`, `"1h 30m"`, `"2 days"`.
    Text(String),
}

impl TimeValue {
    /// The value in milliseconds, or the description of what is allowed.
    pub(crate) fn to_millis(&self) -> Result<i64, &'static str> {
        const TOO_LONG: &str = "a time of at most ten years";
        let millis: i128 = match self {
            TimeValue::Seconds(s) => i128::from(*s) * 1000,
            TimeValue::Std(d) => d.as_millis() as i128,
            TimeValue::Time(d) => d.whole_milliseconds(),
            TimeValue::Text(text) => {
                let text = text.trim();
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                    text.parse::<i128>().map_err(|_| TOO_LONG)? * 1000
                } else {
                    humantime::parse_duration(text)
                        .map_err(|_| EXPECT_TIME)?
                        .as_millis() as i128
                }
            }
        };
        if millis <= 0 {
            Err(EXPECT_TIME)
        } else if millis > i128::from(MAX_TIME_MILLIS) {
            Err(TOO_LONG)
        } else {
            Ok(millis as i64)
        }
    }
}

impl fmt::Display for TimeValue {
    /// The value as the user wrote it, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeValue::Seconds(s) => write!(f, "{s}"),
            TimeValue::Std(d) => write!(f, "{d:?}"),
            TimeValue::Time(d) => write!(f, "{d}"),
            TimeValue::Text(t) => write!(f, "{t:?}"),
        }
    }
}

macro_rules! seconds_from {
    ($($t:ty),*) => {$(
        impl From<$t> for TimeValue {
            fn from(seconds: $t) -> Self {
                TimeValue::Seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
            }
        }
    )*};
}
seconds_from!(u8, u16, u32, u64, i8, i16, i32, i64, usize);

impl From<Duration> for TimeValue {
    fn from(d: Duration) -> Self {
        TimeValue::Std(d)
    }
}

impl From<time::Duration> for TimeValue {
    fn from(d: time::Duration) -> Self {
        TimeValue::Time(d)
    }
}

impl From<&str> for TimeValue {
    fn from(s: &str) -> Self {
        TimeValue::Text(s.to_owned())
    }
}

impl From<String> for TimeValue {
    fn from(s: String) -> Self {
        TimeValue::Text(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_forms_parse() {
        let cases: [(&str, i64); 6] = [
            ("600", 600_000),
            ("90s", 90_000),
            ("10m", 600_000),
            ("1h 30m", 5_400_000),
            (" 2h ", 7_200_000),
            ("500ms", 500),
        ];
        for (text, millis) in cases {
            assert_eq!(TimeValue::from(text).to_millis(), Ok(millis), "{text}");
        }
    }

    #[test]
    fn zero_negative_garbage_and_huge_are_refused() {
        for bad in [
            TimeValue::Seconds(0),
            TimeValue::Seconds(-5),
            TimeValue::Time(time::Duration::seconds(-1)),
            TimeValue::Std(Duration::ZERO),
            TimeValue::from("ten minutes"),
            TimeValue::from(""),
            TimeValue::from("0"),
            TimeValue::from("-5"),
            TimeValue::Seconds(i64::MAX),
            TimeValue::from("99999999999999999999999999999"),
        ] {
            assert!(bad.to_millis().is_err(), "{bad:?} was accepted");
        }
    }
}
