//! The client script and its stylesheet, shipped with the crate, and their hashed file names.
//!
//! ```
//! use auto_logout::assets;
//!
//! // The script finds its own tag and reads the per-request `data-` values there.
//! assert!(assets::SCRIPT.contains("currentScript"));
//! // The file name carries a hash of the content, so it can be cached forever.
//! assert!(assets::script_file_name().starts_with("auto-logout."));
//! assert!(assets::script_file_name().ends_with(".js"));
//! assert!(assets::stylesheet_file_name().ends_with(".css"));
//! ```
//!
//! `assets/auto-logout.js` is the script's readable source, the one place it is
//! written; `assets/build.sh` minifies it into `assets/auto-logout.min.js`, which
//! is committed beside it. The crate ships the build: the inline tag embeds it and
//! integrations serve it as a file. The build's first line names the SHA-256 of the
//! source it was made from, and a test fails when the two no longer match.

use std::sync::OnceLock;

/// The client script as shipped: the minified build, exactly as in
/// `assets/auto-logout.min.js` (made from `assets/auto-logout.js` by `assets/build.sh`).
pub const SCRIPT: &str = include_str!("../assets/auto-logout.min.js");

/// The warning dialog's default stylesheet, exactly as in `assets/auto-logout.css`.
///
/// Plain CSS over the dialog's class names (`WARN_CLASS`, default
/// `auto-logout-warning`); serve it as a file so `style-src 'self'` allows it.
pub const STYLESHEET: &str = include_str!("../assets/auto-logout.css");

/// FNV-1a, 64 bit: a stable content hash for cache-busting file names (not
/// for security), computed without a dependency.
pub(crate) const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

fn hashed_name(stem: &str, content: &str, ext: &str) -> String {
    // 12 hex digits (48 bits) are plenty to tell versions of one file apart.
    format!("{stem}.{:012x}.{ext}", fnv1a(content.as_bytes()) >> 16)
}

/// `auto-logout.<hash>.js`: the script's file name, changing whenever its content does.
pub fn script_file_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| hashed_name("auto-logout", SCRIPT, "js"))
}

/// `auto-logout.<hash>.css`: the stylesheet's file name, changing with its content.
pub fn stylesheet_file_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| hashed_name("auto-logout", STYLESHEET, "css"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_depend_on_content() {
        assert_ne!(hashed_name("a", "x", "js"), hashed_name("a", "y", "js"));
        assert_eq!(script_file_name().len(), "auto-logout..js".len() + 12);
    }

    #[test]
    fn the_script_can_be_inlined_safely() {
        // The inline tag embeds the file verbatim: it must not end the script
        // element or open an HTML comment inside it.
        let lower = SCRIPT.to_ascii_lowercase();
        assert!(!lower.contains("</script"));
        assert!(!lower.contains("<!--"));
        assert!(!lower.contains("<script"));
    }
}
