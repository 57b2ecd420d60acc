//! What a configured path or class name may be: checked once, when the
//! configuration is built.

/// A path on this origin: one leading `/`, never `//` or `/\` (which browsers
/// read as another host), no characters a browser would strip or reinterpret.
pub(crate) fn is_same_origin_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2048
        && !path
            .chars()
            .any(|c| c == '\\' || c == '#' || c.is_whitespace() || c.is_control())
}

/// No `.` or `..` segment (also percent-encoded, as browsers read them) and no
/// empty segment (`//`) in the path part (before any `?`). The root `/` and a
/// trailing `/` are fine.
pub(crate) fn has_clean_segments(path: &str) -> bool {
    let path = path.split_once('?').map_or(path, |(path, _query)| path);
    !path.contains("//")
        && path.split('/').all(|segment| {
            let segment = segment.to_ascii_lowercase();
            !matches!(
                segment.as_str(),
                "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
            )
        })
}

pub(super) fn is_endpoint_prefix(prefix: &str) -> bool {
    prefix.len() >= 2
        && prefix.len() <= 256
        && prefix.starts_with('/')
        && prefix.ends_with('/')
        && !prefix.starts_with("//")
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

pub(super) fn is_css_class(class: &str) -> bool {
    let mut bytes = class.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'-')
        && class.len() <= 64
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths() {
        for ok in ["/", "/login", "/accounts/login/?a=1&b=2", "/a%20b"] {
            assert!(is_same_origin_path(ok), "{ok}");
        }
        for bad in [
            "",
            "login",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/a b",
            "/a\tb",
            "/a#b",
            "/\u{2028}",
            "javascript:alert(1)",
        ] {
            assert!(!is_same_origin_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn clean_segments() {
        for ok in [
            "/",
            "/login",
            "/static/",
            "/a.b/c..d/",
            "/login?next=/x/../y",
            "/.well-known/",
        ] {
            assert!(has_clean_segments(ok), "{ok:?}");
        }
        for bad in [
            "/x/../login",
            "/./login",
            "/x/..",
            "/x/.",
            "/x/%2e%2E/login",
            "/x/.%2e/",
            "/%2E/",
            "/a//b",
            "/a/b//",
            "//",
        ] {
            assert!(!has_clean_segments(bad), "{bad:?}");
        }
    }
}
