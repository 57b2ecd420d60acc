//! The logout hook: [`LogoutEvent`], what the application's `on_logout` code
//! gets on every automatic logout.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::{Method, Uri, header::HeaderMap};

use crate::decision::ExpiryReason;

/// What the hook's future gives back, its error already made a text.
pub(crate) type HookFuture = Pin<Box<dyn Future<Output = Result<Option<HttpResponse>, String>>>>;

/// The hook as stored in the middleware.
pub(crate) type Hook = Arc<dyn Fn(LogoutEvent) -> HookFuture + Send + Sync>;

/// An automatic logout, as the hook given to
/// [`AutoLogoutMiddleware::on_logout`](super::AutoLogoutMiddleware::on_logout)
/// sees it: why, the request's session *before* it is cleared (read the ID
/// token for an OpenID Connect logout from it), and the method, URI and
/// headers of the request that found it. The same names as the axum
/// integration's `LogoutEvent`.
///
/// The request itself is not given: actix-web routes a request only while
/// nothing else holds it, so a hook that kept it would break the rest of
/// the request.
///
/// Changes the hook makes to the session are lost: the session is cleared
/// right after it returns.
pub struct LogoutEvent {
    pub(crate) reason: ExpiryReason,
    pub(crate) session: Session,
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

impl LogoutEvent {
    /// Why the session ended: idle, absolute limit, or stamps that could not
    /// be trusted.
    pub fn reason(&self) -> ExpiryReason {
        self.reason
    }

    /// The request's session, with all its data still in it.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl fmt::Debug for LogoutEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutEvent")
            .field("reason", &self.reason)
            .field("method", &self.method)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// `hook` type-erased: its future boxed, its error a text.
pub(crate) fn erase<F, Fut, E>(hook: F) -> Hook
where
    F: Fn(LogoutEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<HttpResponse>, E>> + 'static,
    E: fmt::Display + 'static,
{
    Arc::new(move |event| {
        let future = hook(event);
        Box::pin(async move { future.await.map_err(|error| error.to_string()) })
    })
}
