//! The logout hook: [`LogoutEvent`], what the application's `on_logout` code
//! gets on every automatic logout.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::{Method, Uri, header::HeaderMap};

/// What the hook's future gives back, its error already made a text.
pub(crate) type HookFuture = Pin<Box<dyn Future<Output = Result<Option<HttpResponse>, String>>>>;

/// The hook as stored in the middleware.
pub(crate) type Hook = Arc<dyn Fn(LogoutEvent) -> HookFuture + Send + Sync>;

/// An automatic logout, as the hook given to
/// [`AutoLogoutMiddleware::on_logout`](super::AutoLogoutMiddleware::on_logout)
/// sees it ([`engine::LogoutEvent`](crate::engine::LogoutEvent) with
/// actix-session's `Session` and actix-web's request parts).
pub type LogoutEvent = crate::engine::LogoutEvent<Session, Method, Uri, HeaderMap>;

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

/// A password given in the lock dialog or in "Sign in again", as the hook
/// given to [`AutoLogoutMiddleware::on_unlock`](super::AutoLogoutMiddleware::on_unlock)
/// sees it ([`engine::UnlockAttempt`](crate::engine::UnlockAttempt) with
/// actix-session's `Session`).
pub type UnlockAttempt = crate::engine::UnlockAttempt<Session>;

/// What the password check's future gives back, its error already a text.
pub(crate) type UnlockFuture = Pin<Box<dyn Future<Output = Result<bool, String>>>>;

/// The password check as stored in the middleware.
pub(crate) type UnlockHook = Arc<dyn Fn(UnlockAttempt) -> UnlockFuture + Send + Sync>;

/// `hook` type-erased: its future boxed, its error a text.
pub(crate) fn erase_unlock<F, Fut, E>(hook: F) -> UnlockHook
where
    F: Fn(UnlockAttempt) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, E>> + 'static,
    E: fmt::Display + 'static,
{
    Arc::new(move |attempt| {
        let future = hook(attempt);
        Box::pin(async move { future.await.map_err(|error| error.to_string()) })
    })
}
