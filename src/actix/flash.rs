//! [`KeepUnread`]: flash messages that wait until a page reads them, in a
//! cookie whose `Secure` attribute follows the session cookie's.

use actix_web::cookie::Cookie;
use actix_web::dev::ResponseHead;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest};
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::{FlashMessageStore, LoadError, StoreError};

/// Marks a request whose incoming flash messages were read, and whether any
/// were waiting.
#[derive(Clone, Copy)]
struct MessagesRead {
    had_any: bool,
}

/// A [`FlashMessageStore`] wrapper whose messages wait until a request reads
/// them (extracts `IncomingFlashMessages`), as Django's and axum-messages'
/// do.
///
/// actix-web-flash-messages' stores drop the incoming messages at the end of
/// every request, read or not. After an automatic logout that loses the
/// message: the request that expired the session (a `status` check of the
/// client script, say) flashes it, the next one (the page reload that the
/// app's login guard redirects) drops it, and the login page after that shows
/// nothing. Wrapped, a request that did not read the messages leaves them in
/// place and adds its own after them.
///
/// It also sets the `Secure` attribute of the message cookie when asked
/// ([`KeepUnread::cookie_secure`]): `CookieMessageStore` always marks its
/// cookie `Secure`, so over plain `http` a client that honours the attribute
/// (a browser on `http://<LAN address>`, an HTTP client's cookie jar) never
/// sends it back and the message of an automatic logout is lost, while the
/// session cookie (`cookie_secure(false)`) works.
///
/// ```
/// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
/// use actix_web::cookie::Key;
/// use actix_web_flash_messages::{FlashMessagesFramework, storage::CookieMessageStore};
/// use auto_logout::actix::KeepUnread;
///
/// let key = Key::generate();
/// // Served over https? Then `true` for both cookies.
/// let secure = false;
/// let store = KeepUnread::new(CookieMessageStore::builder(key.clone()).build())
///     .cookie_secure(secure);
/// let flash = FlashMessagesFramework::builder(store).build();
/// let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key)
///     .cookie_secure(secure)
///     .build();
/// # let _ = (flash, sessions);
/// ```
#[derive(Debug, Clone)]
pub struct KeepUnread<S> {
    inner: S,
    cookie_secure: Option<bool>,
}

impl<S> KeepUnread<S> {
    /// Wraps `inner` (a `CookieMessageStore`).
    pub fn new(inner: S) -> Self {
        KeepUnread {
            inner,
            cookie_secure: None,
        }
    }

    /// Gives the cookies the inner store sets the `Secure` attribute `secure`
    /// (by default they keep the inner store's: `CookieMessageStore` sets
    /// it). Give the value of the session cookie's
    /// (`SessionMiddleware::builder(..).cookie_secure(..)`), so that messages
    /// reach every client the session does.
    pub fn cookie_secure(mut self, secure: bool) -> Self {
        self.cookie_secure = Some(secure);
        self
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: FlashMessageStore> KeepUnread<S> {
    /// The inner store's `store`, its cookies given the `Secure` attribute
    /// asked for.
    fn store_inner(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        let Some(secure) = self.cookie_secure else {
            return self.inner.store(messages, request, response);
        };
        let before = response.headers().get_all(header::SET_COOKIE).count();
        self.inner.store(messages, request, response)?;
        if response.headers().get_all(header::SET_COOKIE).count() == before {
            return Ok(());
        }
        // The inner store's cookies come last: the others stay as they are.
        let cookies: Vec<HeaderValue> = response.headers_mut().remove(header::SET_COOKIE).collect();
        for (at, cookie) in cookies.into_iter().enumerate() {
            let cookie = if at < before {
                cookie
            } else {
                with_secure(cookie, secure)
            };
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(())
    }
}

/// The `Set-Cookie` value `value` with the `Secure` attribute `secure`
/// (unchanged when it cannot be read as a cookie).
fn with_secure(value: HeaderValue, secure: bool) -> HeaderValue {
    let Some(mut cookie) = value
        .to_str()
        .ok()
        .and_then(|text| Cookie::parse(text).ok())
    else {
        return value;
    };
    cookie.set_secure(secure.then_some(true));
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(value)
}

impl<S: FlashMessageStore> FlashMessageStore for KeepUnread<S> {
    fn load(&self, request: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        let loaded = self.inner.load(request);
        let had_any = !matches!(&loaded, Ok(messages) if messages.is_empty());
        request.extensions_mut().insert(MessagesRead { had_any });
        loaded
    }

    fn store(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        let read = request.extensions().get::<MessagesRead>().copied();
        if let Some(MessagesRead { had_any }) = read {
            if !had_any && messages.is_empty() {
                // Nothing came in and nothing goes out: no cookie to clear
                // (the inner store would send a removal cookie on every read).
                return Ok(());
            }
            return self.store_inner(messages, request, response);
        }
        if messages.is_empty() {
            // Nothing read, nothing new: the waiting messages stay as they are.
            return Ok(());
        }
        // Unreadable waiting messages are dropped, as the inner store would.
        let mut all = self.inner.load(&request).unwrap_or_default();
        all.extend(
            messages
                .iter()
                .map(|m| FlashMessage::new(m.content().to_owned(), m.level())),
        );
        self.store_inner(&all, request, response)
    }
}
