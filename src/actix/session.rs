//! Session I/O over actix-session 0.11: the stamps in, the stamps out, the
//! end of a session, the flash message.

use std::cell::Cell;
use std::sync::Arc;

use actix_session::{Session, SessionExt as _, SessionInsertError, SessionStatus};
use actix_web::HttpResponse;
use actix_web::dev::{Extensions, ServiceRequest};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest};
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::FlashMessageStore;

use super::Actix;
use super::hook::{Hook, HookFuture, LogoutEvent, UnlockAttempt, UnlockFuture, UnlockHook};
use crate::decision::ExpiryReason;
use crate::engine::flow::{Exchange, SessionIo, StoreFailed, Stored};
use crate::engine::headers::RequestHeaders;
use crate::stamps::Stamps;
use crate::store_lock::StoreLink;

/// The content of a JSON string literal that has no escapes, else `None`.
fn json_string_in_place(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    // Two single-byte searches (memchr) are far cheaper than one for a set.
    (!inner.contains('"') && !inner.contains('\\')).then_some(inner)
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
fn loaded(req: &ServiceRequest) -> Option<Session> {
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
fn flash(req: &ServiceRequest, message: &str) -> bool {
    let installed = flash_installed(req.request());
    if installed {
        FlashMessage::info(message).send();
    }
    installed
}

/// The signed-in user's id under `key` (actix-identity's id key), if any.
fn user_id(session: &Session, key: &str) -> Option<String> {
    session.get::<String>(key).ok().flatten()
}

/// Whether the session holds a signed-in user under `key`
/// ([`engine::holds_signed_in_user`](crate::engine::holds_signed_in_user)).
fn holds_user(session: &Session, key: &str) -> bool {
    let entries = session.entries();
    let value = entries
        .get(key)
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok());
    crate::engine::holds_signed_in_user(value.as_ref())
}

/// The key of the session, as the guarded store told it on load (a session
/// with stamps loaded through it), for ending the session once.
fn store_key(session: &Session) -> Option<String> {
    session
        .get::<String>(crate::store_lock::STORE_KEY_ENTRY)
        .ok()
        .flatten()
}

impl SessionIo for Session {
    type User = String;
    type Integration = Actix;

    async fn read_stamps<R>(
        &self,
        read: impl FnOnce(Stored<'_>) -> R + Send,
    ) -> Result<R, StoreFailed> {
        let entries = self.entries();
        Ok(match entries.get(Stamps::SESSION_KEY) {
            None => read(Stored::Missing),
            // actix-session keeps each value as JSON text; the stamps are a
            // JSON string without escapes, read in place (no allocation).
            Some(raw) => match json_string_in_place(raw) {
                Some(stored) => read(Stored::Text(stored)),
                None => read(Stored::Other),
            },
        })
    }

    async fn write_stamps(&self, stamps: &Stamps) -> Result<(), StoreFailed> {
        write_stamps(self, stamps).map_err(|_| StoreFailed)
    }

    async fn holds_user(&self, key: &'static str) -> Result<bool, StoreFailed> {
        Ok(holds_user(self, key))
    }

    async fn user_now(&self, identity_key: &&'static str) -> Option<String> {
        user_id(self, identity_key)
    }

    async fn has_stamps(&self) -> bool {
        self.entries().contains_key(Stamps::SESSION_KEY)
    }

    async fn holds_data(&self) -> bool {
        !self.entries().is_empty()
    }

    fn changed(&self) -> bool {
        self.status() != SessionStatus::Unchanged
    }

    async fn end(&self) -> Result<(), StoreFailed> {
        end(self);
        Ok(())
    }

    async fn read_text(&self, key: &'static str) -> Result<Option<String>, StoreFailed> {
        Ok(self.get::<String>(key).ok().flatten())
    }

    async fn write_text(&self, key: &'static str, value: String) -> Result<(), StoreFailed> {
        self.insert(key, value).map_err(|_| StoreFailed)
    }

    async fn renew_id(&self) -> Result<(), StoreFailed> {
        self.renew();
        Ok(())
    }

    fn user_text(user: &String) -> String {
        user.clone()
    }

    async fn signed_in_text(&self, key: &'static str) -> Option<String> {
        match serde_json::from_str::<serde_json::Value>(self.entries().get(key)?).ok()? {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(text),
            other => Some(other.to_string()),
        }
    }
}

/// One request through the middleware, as the engine's flow sees it.
pub(super) struct ActixExchange<'r> {
    request: &'r ServiceRequest,
    /// The headers the rules read, found in one pass.
    read: RequestHeaders<'r>,
    /// Set once a request showed that `SessionMiddleware` runs before the
    /// middleware (the order does not change afterwards).
    sessions_seen: &'r Cell<bool>,
    /// The body of a password endpoint's request, read before the flow.
    form: Option<String>,
}

impl<'r> ActixExchange<'r> {
    /// The exchange of `request`.
    pub(super) fn new(
        request: &'r ServiceRequest,
        sessions_seen: &'r Cell<bool>,
        form: Option<String>,
    ) -> Self {
        let read = RequestHeaders::read(
            request
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value)),
            |value| value.to_str().ok(),
        );
        ActixExchange {
            request,
            read,
            sessions_seen,
            form,
        }
    }
}

impl Exchange for ActixExchange<'_> {
    type Session = Session;
    type Response = HttpResponse;

    fn method(&self) -> &str {
        self.request.method().as_str()
    }

    fn path(&self) -> &str {
        self.request.path()
    }

    fn path_and_query(&self) -> &str {
        self.request
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.read.get(name)
    }

    fn find_session(&mut self) -> Option<Session> {
        if self.sessions_seen.get() {
            return Some(self.request.get_session());
        }
        let session = loaded(self.request)?;
        self.sessions_seen.set(true);
        Some(session)
    }

    fn loaded_from_store(&self, session: &Session) -> bool {
        !session.entries().is_empty()
    }

    fn user_before(&self, session: &Session, identity_key: &&'static str) -> Option<String> {
        user_id(session, identity_key)
    }

    fn messages_ready(&self) -> bool {
        flash_installed(self.request.request())
    }

    async fn end_once(&self, session: &Session, store: &StoreLink) -> Result<bool, StoreFailed> {
        match store_key(session) {
            Some(key) => store.end_once_local(&key).await.map_err(|_| StoreFailed),
            None => Ok(true),
        }
    }

    #[allow(refining_impl_trait)]
    fn call_hook(&self, hook: &Hook, reason: ExpiryReason, session: &Session) -> HookFuture {
        hook(LogoutEvent {
            reason,
            session: session.clone(),
            method: self.request.method().clone(),
            uri: self.request.uri().clone(),
            headers: self.request.headers().clone(),
        })
    }

    fn hook_response_parts(response: &HttpResponse) -> (u16, Option<&str>) {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        (response.status().as_u16(), location)
    }

    fn default_cache_control(response: &mut HttpResponse, value: &'static str) {
        if !response.headers().contains_key(header::CACHE_CONTROL) {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        }
    }

    async fn flash(&self, _session: &Session, message: &str) -> Result<bool, StoreFailed> {
        Ok(flash(self.request, message))
    }

    fn log_out_user(&mut self, _identity_key: &&'static str) {
        // actix-identity keeps its user in the session, which has ended.
    }

    fn form(&self) -> Option<&str> {
        self.form.as_deref()
    }

    #[allow(refining_impl_trait)]
    fn call_unlock(
        &self,
        hook: &UnlockHook,
        session: &Session,
        password: String,
        reauthenticate: bool,
    ) -> UnlockFuture {
        hook(UnlockAttempt {
            session: session.clone(),
            password,
            reauthenticate,
        })
    }
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
