//! Times as people write them: whole seconds, `Duration`s, or `"1h 30m"`.

use std::fmt;
use std::time::Duration;

/// What a time key accepts, for the refusal of zero and negative times.
pub(crate) const EXPECT_TIME: &str =
    "a time greater than zero (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")";
/// For a number with a fraction or a decimal point (`20.0`, `0.5`).
pub(crate) const EXPECT_WHOLE_SECONDS: &str = "a whole number of seconds, or a string such as \
\"20s\" or \"1500ms\" (a number with a decimal point is not read as a time)";
/// For a time beyond [`MAX_TIME_MILLIS`].
pub(crate) const EXPECT_AT_MOST_TEN_YEARS: &str = "a time of at most ten years";
/// For a positive time below one millisecond.
const EXPECT_AT_LEAST_A_MILLISECOND: &str =
    "a time of at least one millisecond (times are counted in whole milliseconds)";
/// For a string that is no time at all.
const EXPECT_READABLE_TIME: &str = "a time written as whole seconds like \"600\" or as a \
duration like \"90s\", \"10m\", \"1h 30m\" or \"500ms\" (units: ms, s, m, h, d)";

/// The longest limit accepted: ten years. Longer values are almost certainly a
/// unit mistake (milliseconds given as seconds), and refusing them keeps every
/// deadline far from integer overflow.
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
    /// The value in milliseconds, or what is allowed, worded for what is wrong
    /// with this value (its sign, a decimal point, its size, its spelling).
    pub(crate) fn to_millis(&self) -> Result<i64, &'static str> {
        // (whole milliseconds, whether there was a positive part below 1 ms)
        let (millis, sub_millisecond): (i128, bool) = match self {
            TimeValue::Seconds(s) => (i128::from(*s) * 1000, false),
            TimeValue::Std(d) => (d.as_millis() as i128, !d.is_zero()),
            TimeValue::Time(d) => (d.whole_milliseconds(), d.is_positive()),
            TimeValue::Text(text) => {
                let text = text.trim();
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                    let seconds = text.parse::<i128>().map_err(|_| EXPECT_AT_MOST_TEN_YEARS)?;
                    (seconds.saturating_mul(1000), false)
                } else if text.starts_with('-') {
                    return Err(EXPECT_TIME);
                } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                    return Err(EXPECT_WHOLE_SECONDS);
                } else {
                    let d = humantime::parse_duration(text).map_err(|e| match e {
                        humantime::DurationError::NumberOverflow => EXPECT_AT_MOST_TEN_YEARS,
                        _ => EXPECT_READABLE_TIME,
                    })?;
                    (d.as_millis() as i128, !d.is_zero())
                }
            }
        };
        if millis <= 0 && sub_millisecond {
            Err(EXPECT_AT_LEAST_A_MILLISECOND)
        } else if millis <= 0 {
            Err(EXPECT_TIME)
        } else if millis > i128::from(MAX_TIME_MILLIS) {
            Err(EXPECT_AT_MOST_TEN_YEARS)
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
    fn each_refusal_names_what_is_wrong() {
        let cases: [(TimeValue, &str); 12] = [
            (TimeValue::Seconds(0), EXPECT_TIME),
            (TimeValue::Seconds(-5), EXPECT_TIME),
            (TimeValue::from("-5"), EXPECT_TIME),
            (TimeValue::from("-5s"), EXPECT_TIME),
            (TimeValue::from("0s"), EXPECT_TIME),
            (TimeValue::from("20.0"), EXPECT_WHOLE_SECONDS),
            (TimeValue::from("0.5"), EXPECT_WHOLE_SECONDS),
            (TimeValue::from("soon"), EXPECT_READABLE_TIME),
            (TimeValue::from("500us"), EXPECT_AT_LEAST_A_MILLISECOND),
            (
                TimeValue::Std(Duration::from_micros(1)),
                EXPECT_AT_LEAST_A_MILLISECOND,
            ),
            (TimeValue::from("11y"), EXPECT_AT_MOST_TEN_YEARS),
            (TimeValue::Seconds(i64::MAX), EXPECT_AT_MOST_TEN_YEARS),
        ];
        for (value, expected) in cases {
            assert_eq!(value.to_millis(), Err(expected), "{value:?}");
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
