//! The request headers the rules read, found in one pass over a request's
//! headers: a request asks about a dozen names, and looking each one up in a
//! header map (parsing and hashing the name every time) cost more than the
//! decision itself.

use super::{INPUT_AGE_HEADER, KEEPALIVE_HEADER, PASSIVE_HEADER};

/// The names the rules read, lower case as `http` keeps them.
const NAMES: [&str; 15] = [
    "accept",
    "host",
    "hx-current-url",
    "hx-request",
    INPUT_AGE_HEADER,
    KEEPALIVE_HEADER,
    PASSIVE_HEADER,
    "purpose",
    "referer",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "sec-purpose",
    "x-requested-with",
];

/// The request headers the engine's rules read: for each name, the first
/// header of that name, its value as text when it is visible ASCII (as
/// `HeaderValue::to_str` reads it; `Some(None)` when it is not).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RequestHeaders<'h> {
    values: [Option<Option<&'h str>>; NAMES.len()],
}

impl<'h> RequestHeaders<'h> {
    /// Reads `headers` (names lower case), keeping the first of every name
    /// the rules read, its value as `text` reads it (as text when it is
    /// visible ASCII). Only those values are read: a request's other headers
    /// (its cookie, its user agent) are passed over by their names.
    pub(crate) fn read<V>(
        headers: impl IntoIterator<Item = (&'h str, V)>,
        text: impl Fn(V) -> Option<&'h str>,
    ) -> Self {
        let mut found = RequestHeaders::default();
        for (name, value) in headers {
            if let Some(index) = index_of(name)
                && found.values[index].is_none()
            {
                found.values[index] = Some(text(value));
            }
        }
        found
    }

    /// The value of `name`, one of the names the rules read (lower case); any
    /// other name is `None`, and a debug build panics, so a rule that starts
    /// reading another header is caught by the tests.
    pub(crate) fn get(&self, name: &str) -> Option<&'h str> {
        match index_of(name) {
            Some(index) => self.values[index].flatten(),
            None => {
                debug_assert!(false, "the engine reads header {name:?}: add it to NAMES");
                None
            }
        }
    }
}

/// Where `name` is in [`NAMES`]: by its length first, so most of a
/// request's other headers are passed over without comparing a byte.
fn index_of(name: &str) -> Option<usize> {
    let candidates: &[usize] = match name.len() {
        4 => &[1],
        6 => &[0],
        7 => &[7, 8],
        10 => &[3],
        11 => &[13],
        13 => &[5],
        14 => &[2, 9, 10, 11, 12],
        16 => &[14],
        21 => &[6],
        23 => &[4],
        _ => return None,
    };
    candidates
        .iter()
        .copied()
        .find(|&index| NAMES[index] == name)
}

#[cfg(test)]
mod tests {
    use super::{NAMES, RequestHeaders, index_of};

    #[test]
    fn every_name_is_found_at_its_place() {
        for (index, name) in NAMES.iter().enumerate() {
            assert_eq!(index_of(name), Some(index), "{name}");
        }
        for other in ["cookie", "user-agent", "sec-fetch-xxxx", "", "ACCEPT"] {
            assert_eq!(index_of(other), None, "{other}");
        }
    }

    #[test]
    fn the_first_readable_value_of_each_name_is_kept() {
        let headers = RequestHeaders::read(
            [
                ("cookie", Some("id=1")),
                ("sec-fetch-site", Some("same-origin")),
                ("sec-fetch-site", Some("cross-site")),
                ("accept", None),
                ("accept", Some("application/json")),
            ],
            |value| value,
        );
        assert_eq!(headers.get("sec-fetch-site"), Some("same-origin"));
        // A value that is not text does not count as the header (as a
        // lookup's `to_str().ok()` did not), and is not replaced by the next.
        assert_eq!(headers.get("accept"), None);
        assert_eq!(headers.get("hx-request"), None);
    }
}
