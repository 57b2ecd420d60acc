//! Session I/O over actix-session 0.11: the stamps in, the stamps out, the
//! end of a session, the flash message.

use std::sync::Arc;

use actix_session::{Session, SessionExt as _, SessionInsertError};
use actix_web::dev::{Extensions, ServiceRequest};
use actix_web::{HttpMessage as _, HttpRequest};
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::FlashMessageStore;

use crate::clock::Timestamp;
use crate::config::Config;
use crate::decision::{Activity, RequestOutcome};
use crate::stamps::Stamps;

/// The decision for this request from the session's stamps.
pub(super) fn check(
    config: &Config,
    session: &Session,
    now: Timestamp,
    activity: Activity,
) -> RequestOutcome {
    let entries = session.entries();
    let Some(raw) = entries.get(Stamps::SESSION_KEY) else {
        return RequestOutcome::Untracked;
    };
    // actix-session keeps each value as JSON text; the stamps are a JSON
    // string without escapes, read in place (no allocation per request).
    match json_string_in_place(raw) {
        Some(stored) => config.check_request(Some(stored), now, activity),
        // Something else under our key: not ours to trust (fail closed).
        None => config.check_request(Some(""), now, activity),
    }
}

/// The content of a JSON string literal that has no escapes, else `None`.
fn json_string_in_place(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then_some(inner)
}

/// Starts the clocks of a session signed in elsewhere (actix-identity), and
/// decides this request with them.
pub(super) fn start_clocks(
    config: &Config,
    session: &Session,
    now: Timestamp,
    activity: Activity,
) -> RequestOutcome {
    let stamps = Stamps::at_login(now);
    let _ = write_stamps(session, &stamps);
    config.check_request(Some(&stamps.encode()), now, activity)
}

pub(super) fn write_stamps(session: &Session, stamps: &Stamps) -> Result<(), SessionInsertError> {
    session.insert(Stamps::SESSION_KEY, stamps.encode())
}

/// Ends the session as Django's `logout()` does: its data cleared, its record
/// deleted at the end of the request, and whatever the request stores
/// afterwards saved under a new key. (`Session::purge` would also drop every
/// later insert of the request, such as a new login.)
pub(super) fn end(session: &Session) {
    session.clear();
    session.renew();
}

/// The request's session when `SessionMiddleware` has run before us (it puts
/// its state into the request's extensions), else `None`.
///
/// `get_session` cannot tell: it makes an empty state when there is none. Nor
/// can the extensions be asked, as actix-session's state type is private. So
/// the extensions are taken out, an empty state of our own put in their place
/// (the only entry, so `get_session` makes it), and the originals put back
/// over it: actix-session's state, if there is one, replaces ours. The
/// request's session is then ours exactly when there was none. Nothing is
/// copied or changed; the middleware asks once per worker until the answer
/// is yes.
pub(super) fn loaded(req: &ServiceRequest) -> Option<Session> {
    let originals = std::mem::replace(&mut *req.extensions_mut(), Extensions::new());
    let ours = req.get_session();
    req.extensions_mut().extend(originals);
    let session = req.get_session();
    let same = std::ptr::eq(&*ours.entries(), &*session.entries());
    (!same).then_some(session)
}

/// Whether `FlashMessagesFramework` has run for this request: its store is
/// in the request's extensions (it puts it there before calling inward).
pub(super) fn flash_installed(req: &HttpRequest) -> bool {
    req.extensions()
        .get::<Arc<dyn FlashMessageStore>>()
        .is_some()
}

/// Flashes `message` at info level when `FlashMessagesFramework` ran before
/// us (without it, `FlashMessage::send` would panic): `false` when it did not,
/// and the message is lost.
pub(super) fn flash(req: &ServiceRequest, message: &str) -> bool {
    let installed = flash_installed(req.request());
    if installed {
        FlashMessage::info(message).send();
    }
    installed
}

/// The signed-in user's id under `key` (actix-identity's id key), if any.
pub(super) fn user_id(session: &Session, key: &str) -> Option<String> {
    session.get::<String>(key).ok().flatten()
}

/// Whether the session holds a signed-in user under `key`
/// ([`engine::holds_signed_in_user`](crate::engine::holds_signed_in_user)).
pub(super) fn holds_user(session: &Session, key: &str) -> bool {
    let entries = session.entries();
    let value = entries
        .get(key)
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok());
    crate::engine::holds_signed_in_user(value.as_ref())
}

/// Whether the session holds stamps (readable or not).
pub(super) fn has_stamps(session: &Session) -> bool {
    session.entries().contains_key(Stamps::SESSION_KEY)
}

/// The key of the session, as the guarded store told it on load (a session
/// with stamps loaded through it), for ending the session once.
pub(super) fn store_key(session: &Session) -> Option<String> {
    session
        .get::<String>(crate::store_lock::STORE_KEY_ENTRY)
        .ok()
        .flatten()
}

/// Whether the session holds any data.
pub(super) fn is_empty(session: &Session) -> bool {
    session.entries().is_empty()
}

#[cfg(test)]
mod tests {
    use super::json_string_in_place;

    #[test]
    fn json_strings_are_read_in_place_or_refused() {
        assert_eq!(json_string_in_place(r#""1:2""#), Some("1:2"));
        assert_eq!(json_string_in_place(r#""""#), Some(""));
        for other in [
            "42",
            "\"",
            r#""a\"b""#,
            r#""a"b""#,
            "null",
            r#""open"#,
            "{}",
        ] {
            assert_eq!(json_string_in_place(other), None, "{other}");
        }
    }
}
