//! [`KeepUnread`]: flash messages that wait until a page reads them.

use actix_web::dev::ResponseHead;
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
/// ```
/// use actix_web::cookie::Key;
/// use actix_web_flash_messages::{FlashMessagesFramework, storage::CookieMessageStore};
/// use auto_logout::actix::KeepUnread;
///
/// let store = KeepUnread::new(CookieMessageStore::builder(Key::generate()).build());
/// let flash = FlashMessagesFramework::builder(store).build();
/// # let _ = flash;
/// ```
#[derive(Debug, Clone)]
pub struct KeepUnread<S> {
    inner: S,
}

impl<S> KeepUnread<S> {
    /// Wraps `inner` (a `CookieMessageStore`).
    pub fn new(inner: S) -> Self {
        KeepUnread { inner }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
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
            return self.inner.store(messages, request, response);
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
        self.inner.store(&all, request, response)
    }
}
