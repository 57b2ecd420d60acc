//! The two instants kept in each session: login and last activity.
//!
//! ```
//! use auto_logout::{Stamps, Timestamp};
//!
//! let login = Timestamp::from_unix_millis(1_700_000_000_000);
//! let stamps = Stamps::at_login(login);
//! let stored = stamps.encode(); // a short string for any session store
//! assert_eq!(Stamps::decode(&stored), Ok(stamps));
//! // Anything else in that slot is refused, never a panic:
//! assert!(Stamps::decode("not ours").is_err());
//! ```
//!
//! They live under one session key ([`Stamps::SESSION_KEY`]) as one string, so an
//! activity update is one small write, and a session without the key is simply
//! not tracked.
//!
//! A session that logged in with its own limits
//! ([`SessionLimits`](crate::SessionLimits)) carries them in the same string
//! (version 2: `2.<login ms>.<last ms>.<idle limit ms>.<session limit ms>`,
//! a limit left empty when the configured one applies), so it keeps them
//! whatever the configuration says later; a session without its own limits
//! is written as version 1, as before.
//!
//! ```
//! use auto_logout::{Stamps, Timestamp};
//!
//! let login = Timestamp::from_unix_millis(1_700_000_000_000);
//! let remembered = Stamps::at_login(login).with_limits(None, Some(8 * 3_600_000)).unwrap();
//! assert_eq!(remembered.encode(), "2.1700000000000.1700000000000..28800000");
//! assert_eq!(Stamps::decode(&remembered.encode()), Ok(remembered));
//! ```

use std::fmt;
use std::num::NonZeroI64;

use crate::clock::Timestamp;
use crate::config::ExpiryReason;

/// The login instant and the last activity of one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamps {
    login_at: Timestamp,
    last_activity_at: Timestamp,
    /// The session's own idle limit (ms, above zero), if it has one.
    idle_limit_millis: Option<NonZeroI64>,
    /// The session's own absolute limit (ms, above zero), if it has one.
    session_limit_millis: Option<NonZeroI64>,
}

/// Why stored stamps were refused. Integrations treat every case as an
/// expired session (fail closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// The stored text is not in this crate's format (or is another version of it).
    #[error("the session's auto-logout stamps are not in a format this version reads")]
    Foreign,
    /// The format is right but the values are impossible (e.g. activity before login).
    #[error("the session's auto-logout stamps are inconsistent")]
    Inconsistent,
}

/// Longest encoded form: "2." + four i64 in decimal and three dots (81
/// bytes), with room to spare. A version 1 form is at most 41 bytes.
const MAX_ENCODED_LEN: usize = 96;

/// The stamps text a session is left with when the application or the
/// sweeper ended it while nobody was there (`x.<reason>`, e.g. `x.revoked`):
/// its next request is told why, and no save brings it back.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn ended_text(reason: ExpiryReason) -> String {
    let mut text = String::with_capacity(2 + reason.as_str().len());
    text.push_str("x.");
    text.push_str(reason.as_str());
    text
}

/// The reason of an [`ended_text`], if `stored` is one.
pub(crate) fn ended_reason(stored: &str) -> Option<ExpiryReason> {
    ExpiryReason::from_name(stored.strip_prefix("x.")?)
}

impl Stamps {
    /// The session key integrations store the encoded stamps under.
    pub const SESSION_KEY: &'static str = "_auto_logout";

    /// Stamps for a session whose user logged in at `now`.
    pub const fn at_login(now: Timestamp) -> Self {
        Stamps {
            login_at: now,
            last_activity_at: now,
            idle_limit_millis: None,
            session_limit_millis: None,
        }
    }

    /// Stamps from two instants, if they are consistent (activity not before login).
    pub fn new(login_at: Timestamp, last_activity_at: Timestamp) -> Option<Self> {
        (last_activity_at >= login_at).then_some(Stamps {
            login_at,
            last_activity_at,
            idle_limit_millis: None,
            session_limit_millis: None,
        })
    }

    /// The same stamps carrying the session's own limits, in milliseconds
    /// (`None`: the configured limit applies); `None` when a limit is not
    /// above zero. Whether they are allowed is the configuration's business
    /// ([`Config::check_limits`](crate::Config::check_limits)); the decision
    /// never lets a stored limit exceed the configured maximum.
    pub fn with_limits(
        self,
        idle_limit_millis: Option<i64>,
        session_limit_millis: Option<i64>,
    ) -> Option<Self> {
        let positive = |limit: Option<i64>| match limit {
            None => Some(None),
            Some(millis) if millis > 0 => NonZeroI64::new(millis).map(Some),
            Some(_) => None,
        };
        Some(Stamps {
            idle_limit_millis: positive(idle_limit_millis)?,
            session_limit_millis: positive(session_limit_millis)?,
            ..self
        })
    }

    /// The session's own idle limit in milliseconds, as stored (`None`: the
    /// configured one applies).
    pub fn idle_limit_millis(&self) -> Option<i64> {
        self.idle_limit_millis.map(NonZeroI64::get)
    }

    /// The session's own absolute limit in milliseconds, as stored (`None`:
    /// the configured one applies).
    pub fn session_limit_millis(&self) -> Option<i64> {
        self.session_limit_millis.map(NonZeroI64::get)
    }

    /// `true` when the session logged in with limits of its own (stored as
    /// version 2).
    pub const fn has_own_limits(&self) -> bool {
        self.idle_limit_millis.is_some() || self.session_limit_millis.is_some()
    }

    /// When the user logged in (start of the absolute limit).
    pub const fn login_at(&self) -> Timestamp {
        self.login_at
    }

    /// The last request that counted as activity (start of the idle limit).
    pub const fn last_activity_at(&self) -> Timestamp {
        self.last_activity_at
    }

    /// Records activity at `at`, coalesced: last activity moves only forward,
    /// and only when it moves by at least `resolution_millis`. Returns whether
    /// it moved, i.e. whether the session store must be written.
    ///
    /// `at` is the request's `now`, or an earlier instant the user was active
    /// at ([`Activity::Earlier`](crate::Activity::Earlier)): one before the
    /// stored last activity, or less than the resolution after it, records
    /// nothing, so last activity stays within [stored, `at`].
    ///
    /// After any sequence of calls with non-decreasing `at`, last activity
    /// lags the latest `at` by less than `resolution_millis` (at least 1 ms):
    /// that lag is all an idle logout can be early by.
    pub fn record_activity(&mut self, at: Timestamp, resolution_millis: i64) -> bool {
        if at.millis_since(self.last_activity_at) >= resolution_millis.max(1) {
            self.last_activity_at = at;
            true
        } else {
            false
        }
    }

    /// The compact stored form: `1.<login ms>.<last activity ms>`, or for a
    /// session with its own limits `2.<login ms>.<last activity ms>.<idle
    /// limit ms>.<session limit ms>`, a limit empty when the configured one
    /// applies.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(MAX_ENCODED_LEN);
        let mut digits = itoa::Buffer::new();
        out.push_str(if self.has_own_limits() { "2." } else { "1." });
        out.push_str(digits.format(self.login_at.as_unix_millis()));
        out.push('.');
        out.push_str(digits.format(self.last_activity_at.as_unix_millis()));
        if self.has_own_limits() {
            for limit in [self.idle_limit_millis, self.session_limit_millis] {
                out.push('.');
                if let Some(millis) = limit {
                    out.push_str(digits.format(millis.get()));
                }
            }
        }
        out
    }

    /// Reads the stored form. Anything that is not exactly what [`Stamps::encode`]
    /// writes is refused (so `decode(s) == Ok(x)` implies `x.encode() == s`);
    /// this never panics, whatever the input.
    ///
    /// One pass over the bytes: the `1.` version prefix, a number, a `.`, a
    /// number, the end; the digits eight at a time. Version 2 goes on with
    /// `.`, an optional number, `.`, an optional number (not both empty: that
    /// is written as version 1), and a limit of zero is refused.
    #[inline]
    pub fn decode(stored: &str) -> Result<Stamps, StampError> {
        let bytes = stored.as_bytes();
        if let Some((login, last)) = common_form(bytes) {
            return Stamps::new(login, last).ok_or(StampError::Inconsistent);
        }
        if bytes.len() > MAX_ENCODED_LEN {
            return Err(StampError::Foreign);
        }
        let version2 = match bytes {
            [b'1', b'.', ..] => false,
            [b'2', b'.', ..] => true,
            _ => return Err(StampError::Foreign),
        };
        let (login, end) = read_millis(bytes, 2).ok_or(StampError::Foreign)?;
        if bytes.get(end) != Some(&b'.') {
            return Err(StampError::Foreign);
        }
        let (last, end) = read_millis(bytes, end + 1).ok_or(StampError::Foreign)?;
        if !version2 {
            if end != bytes.len() {
                return Err(StampError::Foreign);
            }
            return Stamps::new(login, last).ok_or(StampError::Inconsistent);
        }
        let (idle, end) = read_limit(bytes, end)?;
        let (session, end) = read_limit(bytes, end)?;
        if end != bytes.len() || (idle.is_none() && session.is_none()) {
            return Err(StampError::Foreign);
        }
        Stamps::new(login, last)
            .and_then(|stamps| stamps.with_limits(idle, session))
            .ok_or(StampError::Inconsistent)
    }
}

/// Length of the form almost every stored stamp has: version 1 with two
/// 13-digit instants (every instant from September 2001 to November 2286),
/// `1.<13 digits>.<13 digits>`.
const COMMON_LEN: usize = 2 + 13 + 1 + 13;

/// The two instants of a stored text in the common form, or `None` for any
/// other text (which the general reader then reads, or refuses). Accepts
/// exactly the texts of that length the general reader accepts, with the
/// same values: digits only, no leading zero; 13 digits are far below
/// `i64::MAX`. Each number is two overlapping eight-byte reads, its first
/// eight digits and its last five (the three read twice masked out), so
/// the digits need no counting.
#[inline(always)]
fn common_form(bytes: &[u8]) -> Option<(Timestamp, Timestamp)> {
    let bytes: &[u8; COMMON_LEN] = bytes.try_into().ok()?;
    if bytes[0] != b'1' || bytes[1] != b'.' || bytes[15] != b'.' {
        return None;
    }
    let login = thirteen_digits(bytes, 2)?;
    let last = thirteen_digits(bytes, 16)?;
    Some((
        Timestamp::from_unix_millis(login),
        Timestamp::from_unix_millis(last),
    ))
}

/// The 13-digit number at `bytes[at..at + 13]` (`at` is 2 or 16): `None`
/// when a byte is not a digit or the first one is `0`.
#[inline(always)]
fn thirteen_digits(bytes: &[u8; COMMON_LEN], at: usize) -> Option<i64> {
    let word = |from: usize| {
        bytes
            .get(from..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map_or(0, |eight| u64::from_le_bytes(*eight))
    };
    let high = word(at) ^ 0x3030_3030_3030_3030;
    let low = word(at + 5) ^ 0x3030_3030_3030_3030;
    // As in `leading_digits`: a byte that is not a digit has a high nibble,
    // or gets one when 6 is added (no carry comes from a digit below it).
    let not_digit =
        |values: u64| (values | values.wrapping_add(0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0;
    if not_digit(high) | not_digit(low) != 0 || high as u8 == 0 {
        return None;
    }
    // The last five digits: the three bytes read twice (the lowest) as
    // leading zeros.
    let value = eight_digits(high) * 100_000 + eight_digits(low & !0xFF_FFFF);
    Some(value as i64)
}

/// The value of eight digit values (0..=9 each, the first one lowest),
/// leading zero bytes read as zero digits.
#[inline(always)]
fn eight_digits(values: u64) -> u64 {
    // Pairs of digits, then fours, then all eight (the first digit lowest).
    let v = values.wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 << 16 | 1) >> 16;
    (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 << 32 | 1) >> 32
}

/// A `.` at `bytes[at]`, then a limit or nothing; the limit (still
/// unchecked: zero is refused by the caller) and the index after it.
#[inline]
fn read_limit(bytes: &[u8], at: usize) -> Result<(Option<i64>, usize), StampError> {
    if bytes.get(at) != Some(&b'.') {
        return Err(StampError::Foreign);
    }
    match bytes.get(at + 1) {
        None | Some(b'.') => Ok((None, at + 1)),
        Some(_) => {
            let (millis, end) = read_millis(bytes, at + 1).ok_or(StampError::Foreign)?;
            Ok((Some(millis.as_unix_millis()), end))
        }
    }
}

/// Most digits of a stored instant: `i64::MAX` has 19.
const MAX_DIGITS: usize = 19;

/// `10^n` for the digits of one group of eight.
const POWERS_OF_TEN: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Reads the number at `bytes[start..]` and returns it with the index after
/// it. Strict decimal: digits only (no sign, no spaces, no leading zero except
/// in `0` itself, at most 19 digits), so there is one spelling per value: the
/// one [`Stamps::encode`] writes.
///
/// Eight bytes at a time: their leading digits are counted and converted at
/// once, so a 13-digit instant takes two steps.
#[inline(always)]
fn read_millis(bytes: &[u8], start: usize) -> Option<(Timestamp, usize)> {
    let first = eight_bytes(bytes, start);
    let (count, mut value) = leading_digits(first);
    if count == 0 || (first as u8 == b'0' && count > 1) {
        return None;
    }
    let mut end = start + count;
    if count == 8 {
        let (more, digits) = leading_digits(eight_bytes(bytes, end));
        value = value * POWERS_OF_TEN[more] + digits;
        end += more;
        if more == 8 {
            // 16 digits so far: at most three more.
            let (more, digits) = leading_digits(eight_bytes(bytes, end));
            if 16 + more > MAX_DIGITS {
                return None;
            }
            // At most 19 digits: below `u64::MAX`.
            value = value * POWERS_OF_TEN[more] + digits;
            end += more;
        }
    }
    let millis = i64::try_from(value).ok()?;
    Some((Timestamp::from_unix_millis(millis), end))
}

/// The eight bytes from `at` as a little-endian `u64` (the byte at `at`
/// lowest), zero bytes past the end of `bytes` (zero is not a digit).
#[inline(always)]
fn eight_bytes(bytes: &[u8], at: usize) -> u64 {
    if let Some(chunk) = bytes.get(at..at.wrapping_add(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        return u64::from_le_bytes(eight);
    }
    let len = bytes.len();
    match bytes.last_chunk::<8>() {
        // Fewer than 8 bytes from `at` on: the last eight, the ones before
        // `at` shifted out, zeros shifted in.
        Some(last) if at < len => u64::from_le_bytes(*last) >> (8 * (at + 8 - len)),
        // A text shorter than 8 bytes (or `at` at its end).
        _ => {
            let mut padded = [0u8; 8];
            let rest = bytes.get(at..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(padded)
        }
    }
}

/// How many of the eight bytes (lowest first) are digits before the first
/// one that is not, and the value of those digits, all at once in one `u64`.
#[inline(always)]
fn leading_digits(v: u64) -> (usize, u64) {
    // Digits become their values 0..=9; every other byte has a high nibble
    // or becomes 10..=15, which adding 6 carries into the high nibble. A carry
    // out of a byte (0xFA and above) only reaches bytes after it, past the
    // first byte that is not a digit, which is all that counts here.
    let values = v ^ 0x3030_3030_3030_3030;
    let not_digit = (values | values.wrapping_add(0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0;
    let count = (not_digit.trailing_zeros() / 8) as usize;
    // The digits moved to the top bytes, zeros below them (and the bytes from
    // the first one that is not a digit shifted out): the same number, with
    // leading zeros to eight digits. Nothing is left when there are none.
    let digits = values.checked_shl(64 - 8 * count as u32).unwrap_or(0);
    (count, eight_digits(digits))
}

impl fmt::Display for Stamps {
    /// The stored form, as [`Stamps::encode`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    #[test]
    fn round_trip() {
        let s = Stamps::new(t(1_000), t(61_000)).unwrap();
        assert_eq!(s.encode(), "1.1000.61000");
        assert_eq!(Stamps::decode("1.1000.61000"), Ok(s));
    }

    #[test]
    fn hostile_stored_values_are_refused() {
        for bad in [
            "",
            "1",
            "1.",
            "1..",
            "1.5",
            "2.1000.2000",
            "1.-5.10",
            "1.+5.10",
            "1. 5.10",
            "1.5.10.15",
            "1.99999999999999999999.1",
            "1.01000.61000",
            "1.1000.061000",
            "1.00.0",
            "01.1000.61000",
            "</script>",
            "\u{2028}",
            &"9".repeat(10_000),
        ] {
            assert_eq!(Stamps::decode(bad), Err(StampError::Foreign), "{bad:?}");
        }
        assert_eq!(Stamps::decode("1.2000.1000"), Err(StampError::Inconsistent));
    }

    #[test]
    fn the_whole_range_of_i64_and_nothing_beyond() {
        let max = format!("1.{m}.{m}", m = i64::MAX);
        assert_eq!(Stamps::decode(&max), Ok(Stamps::at_login(t(i64::MAX))));
        assert_eq!(Stamps::at_login(t(i64::MAX)).encode(), max);
        for bad in [
            "1.9223372036854775808.9223372036854775808",
            "1.0.9223372036854775808",
            "1.9999999999999999999.9999999999999999999",
            "1.0.10000000000000000000",
            "1.0.18446744073709551616",
            "1.0.",
            "1.0.0.",
            "1.0.0 ",
            "1.0..0",
            "1.0.00",
            "1.0.-0",
            "1.0.0/",
            "1.0.0:",
            "1/0.0",
            "1.0\0.0",
        ] {
            assert_eq!(Stamps::decode(bad), Err(StampError::Foreign), "{bad:?}");
        }
        assert_eq!(
            Stamps::decode("1.1.9223372036854775807"),
            Ok(Stamps::new(t(1), t(i64::MAX)).unwrap())
        );
    }

    /// The former reader (split on dots, check the characters, `str::parse`),
    /// kept as the reference the one-pass reader must agree with.
    fn reference_decode(stored: &str) -> Result<Stamps, StampError> {
        fn number(text: &str) -> Option<Timestamp> {
            if text.is_empty()
                || !text.bytes().all(|b| b.is_ascii_digit())
                || (text.len() > 1 && text.starts_with('0'))
            {
                return None;
            }
            text.parse::<i64>().ok().map(Timestamp::from_unix_millis)
        }
        if stored.len() > MAX_ENCODED_LEN {
            return Err(StampError::Foreign);
        }
        let mut parts = stored.split('.');
        let (Some("1"), Some(login), Some(last), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(StampError::Foreign);
        };
        let login = number(login).ok_or(StampError::Foreign)?;
        let last = number(last).ok_or(StampError::Foreign)?;
        Stamps::new(login, last).ok_or(StampError::Inconsistent)
    }

    #[test]
    fn agrees_with_the_reference_on_every_short_string() {
        // Every string of up to 7 characters over an alphabet that reaches
        // every branch, after the `1.` prefix and without it.
        const ALPHABET: &[u8] = b"019.-+ ";
        let mut checked = 0;
        for len in 0..=7u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                let mut text = String::new();
                for _ in 0..len {
                    text.push(char::from(ALPHABET[n % ALPHABET.len()]));
                    n /= ALPHABET.len();
                }
                for candidate in [text.clone(), format!("1.{text}")] {
                    assert_eq!(
                        Stamps::decode(&candidate),
                        reference_decode(&candidate),
                        "{candidate:?}"
                    );
                    checked += 1;
                }
            }
        }
        // Long numbers around the edges of i64 and of the length limit.
        for login in ["0", "1", "9223372036854775807", "9223372036854775808"] {
            for last in [
                "9223372036854775806",
                "9223372036854775807",
                "9223372036854775808",
                "10000000000000000000",
                "99999999999999999999",
                "0009223372036854775807",
            ] {
                for candidate in [format!("1.{login}.{last}"), format!("1.{login}.{last}.")] {
                    assert_eq!(
                        Stamps::decode(&candidate),
                        reference_decode(&candidate),
                        "{candidate:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000_000);
    }

    #[test]
    fn agrees_with_the_reference_on_long_numbers() {
        // Every length up to 21 digits, and in each a byte that is not a digit
        // at every place, as eight digits at a time meet them.
        const NOT_DIGITS: &[&str] = &["/", ":", "?", "@", ".", " ", "-", "\u{b0}", "\u{660}", "p"];
        let mut checked = 0;
        for len in 1..=21 {
            for pattern in [
                "1234567890",
                "9999999999",
                "1000000000",
                "9223372036854775807",
            ] {
                let number: String = pattern.chars().cycle().take(len).collect();
                let mut candidates = vec![
                    format!("1.{number}.{number}"),
                    format!("1.0.{number}"),
                    format!("1.{number}.9223372036854775807"),
                ];
                for at in 0..len {
                    for bad in NOT_DIGITS {
                        let spoiled = format!("{}{bad}{}", &number[..at], &number[at + 1..]);
                        candidates.push(format!("1.{spoiled}.{number}"));
                        candidates.push(format!("1.0.{spoiled}"));
                    }
                }
                for candidate in candidates {
                    assert_eq!(
                        Stamps::decode(&candidate),
                        reference_decode(&candidate),
                        "{candidate:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
        let digits = |text: &[u8; 8]| leading_digits(u64::from_le_bytes(*text));
        assert_eq!(digits(b"01234567"), (8, 1_234_567));
        assert_eq!(digits(b"98765432"), (8, 98_765_432));
        assert_eq!(digits(b"9876543:"), (7, 9_876_543));
        assert_eq!(digits(b"12.45678"), (2, 12));
        assert_eq!(digits(b"\xff2345678"[..8].try_into().unwrap()), (0, 0));
        assert_eq!(digits(b"1\xff\xff45678"[..8].try_into().unwrap()), (1, 1));
        assert_eq!(digits(b"\0\0\0\0\0\0\0\0"), (0, 0));
    }

    /// The common form's fast reader agrees with the reference on every
    /// text of its length one or two bytes away from a real one.
    #[test]
    fn the_common_form_agrees_with_the_reference() {
        const BYTES: &[u8] = b"0123456789./:- +a\0";
        let base = *b"1.1700000000000.1700000010000";
        assert_eq!(base.len(), COMMON_LEN);
        let check = |text: &[u8]| {
            let text = std::str::from_utf8(text).unwrap();
            assert_eq!(Stamps::decode(text), reference_decode(text), "{text:?}");
        };
        let mut checked = 0;
        for at in 0..COMMON_LEN {
            for &byte in BYTES {
                let mut text = base;
                text[at] = byte;
                check(&text);
                for other in 0..COMMON_LEN {
                    for &second in b"09./" {
                        let mut text = text;
                        text[other] = second;
                        check(&text);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 30_000, "{checked}");
        for text in [
            "1.9999999999999.9999999999999",
            "1.1000000000000.1000000000000",
            "1.1000000000001.1000000000000",
            "1.0999999999999.1000000000000",
        ] {
            check(text.as_bytes());
        }
        assert_eq!(
            Stamps::decode("1.1700000000000.1700000010000"),
            Ok(Stamps::new(t(1_700_000_000_000), t(1_700_000_010_000)).unwrap())
        );
    }

    #[test]
    fn version_2_carries_the_limits_and_round_trips() {
        let base = Stamps::new(t(1_000), t(61_000)).unwrap();
        for (idle, session, text) in [
            (Some(300_000), None, "2.1000.61000.300000."),
            (None, Some(28_800_000), "2.1000.61000..28800000"),
            (
                Some(1),
                Some(i64::MAX),
                "2.1000.61000.1.9223372036854775807",
            ),
        ] {
            let s = base.with_limits(idle, session).unwrap();
            assert_eq!(s.encode(), text);
            assert_eq!(s.to_string(), text);
            assert_eq!(Stamps::decode(text), Ok(s), "{text}");
            assert_eq!(s.idle_limit_millis(), idle);
            assert_eq!(s.session_limit_millis(), session);
            assert!(s.has_own_limits());
            // Activity keeps the limits.
            let mut later = s;
            assert!(later.record_activity(t(70_000), 1));
            assert_eq!(
                Stamps::decode(&later.encode())
                    .unwrap()
                    .session_limit_millis(),
                session
            );
        }
        // Without limits: version 1, byte for byte as before.
        let plain = base.with_limits(None, None).unwrap();
        assert_eq!(plain, base);
        assert_eq!(plain.encode(), "1.1000.61000");
        assert!(base.with_limits(Some(0), None).is_none());
        assert!(base.with_limits(None, Some(-5)).is_none());
    }

    #[test]
    fn version_1_still_decodes_without_limits() {
        let s = Stamps::decode("1.1000.61000").unwrap();
        assert!(!s.has_own_limits());
        assert_eq!(
            (s.idle_limit_millis(), s.session_limit_millis()),
            (None, None)
        );
    }

    #[test]
    fn hostile_version_2_values_are_refused() {
        for bad in [
            "2.1000.2000",
            "2.1000.2000.",
            "2.1000.2000..",
            "2.1000.2000...",
            "2.1000.2000.5",
            "2.1000.2000.5.6.",
            "2.1000.2000.5.6.7",
            "2.1000.2000.05.",
            "2.1000.2000..06",
            "2.1000.2000.-5.",
            "2.1000.2000.+5.",
            "2.1000.2000. 5.",
            "2.1000.2000.5 .",
            "2.1000.2000.9223372036854775808.",
            "2.1000.2000..99999999999999999999",
            "2.1000.2000.5.x",
            "3.1000.2000.5.6",
            "2..2000.5.6",
            "2.1000.2000.5.6\0",
        ] {
            assert_eq!(Stamps::decode(bad), Err(StampError::Foreign), "{bad:?}");
        }
        for zero in [
            "2.1000.2000.0.",
            "2.1000.2000..0",
            "2.1000.2000.0.0",
            "2.2000.1000.5.",
        ] {
            assert_eq!(
                Stamps::decode(zero),
                Err(StampError::Inconsistent),
                "{zero:?}"
            );
        }
        let longest = format!("2.{m}.{m}.{m}.{m}", m = i64::MAX);
        assert_eq!(
            Stamps::decode(&longest).unwrap().encode(),
            longest,
            "the longest form fits"
        );
    }

    #[test]
    fn every_short_version_2_string_decodes_to_its_own_spelling() {
        // Whatever decodes re-encodes to the same text; nothing panics.
        const ALPHABET: &[u8] = b"01.9";
        let mut accepted = 0;
        for len in 0..=8u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                let mut text = String::from("2.");
                for _ in 0..len {
                    text.push(char::from(ALPHABET[n % ALPHABET.len()]));
                    n /= ALPHABET.len();
                }
                if let Ok(stamps) = Stamps::decode(&text) {
                    assert_eq!(stamps.encode(), text);
                    accepted += 1;
                }
            }
        }
        assert!(accepted > 10, "{accepted}");
    }

    #[test]
    fn zero_itself_is_one_spelling() {
        assert_eq!(Stamps::decode("1.0.0"), Ok(Stamps::at_login(t(0))));
        assert_eq!(Stamps::at_login(t(0)).encode(), "1.0.0");
    }

    #[test]
    fn activity_is_coalesced_and_never_moves_back() {
        let mut s = Stamps::at_login(t(10_000));
        assert!(
            !s.record_activity(t(10_999), 1000),
            "moved by less than the resolution"
        );
        assert_eq!(s.last_activity_at(), t(10_000));
        assert!(s.record_activity(t(11_000), 1000));
        assert_eq!(s.last_activity_at(), t(11_000));
        assert!(!s.record_activity(t(5_000), 1000), "moved backwards");
        assert_eq!(s.last_activity_at(), t(11_000));
    }

    /// An instant before the request's `now` (input the script reports) is
    /// recorded as it is when it moves last activity forward by the
    /// resolution, and not at all otherwise.
    #[test]
    fn an_earlier_instant_is_recorded_as_is_or_not_at_all() {
        let mut s = Stamps::at_login(t(10_000));
        assert!(s.record_activity(t(12_500), 1000));
        assert_eq!(s.last_activity_at(), t(12_500));
        for before in [i64::MIN, 0, 10_000, 12_499, 12_500, 13_499] {
            assert!(!s.record_activity(t(before), 1000), "{before}");
            assert_eq!(s.last_activity_at(), t(12_500));
        }
    }
}
