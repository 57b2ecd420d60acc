//! [`StoreErrorsLayer`]: tower-sessions' empty `500` for a failing store made
//! the crate's `503`, as `StoreErrors` does on actix-web.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum_core::body::Body;
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::response::into_response;
use crate::engine::Reply;

tokio::task_local! {
    /// Set when a store call of the crate's stores failed during the request
    /// [`StoreErrors`] is serving.
    static STORE_FAILED: Cell<bool>;
}

/// Notes that a session store call failed, for the [`StoreErrors`] serving
/// this request (if any).
pub(crate) fn note_store_failure() {
    let _ = STORE_FAILED.try_with(|failed| failed.set(true));
}

/// Turns a failing session store into `503` with the crate's text (`auto-logout:
/// the session store failed`, `Cache-Control: no-store`) instead of
/// tower-sessions' empty `500`: a session that cannot be written after the
/// application answered (tower-sessions saves it outside
/// [`AutoLogoutLayer`](super::AutoLogoutLayer), so that layer cannot answer).
/// Add it outside `SessionManagerLayer` (the last `layer`):
///
/// ```
/// use auto_logout::Config;
/// use auto_logout::axum::{AutoLogoutLayer, AutoLogoutStore, StoreErrorsLayer};
/// use axum::Router;
/// use tower_sessions::{MemoryStore, SessionManagerLayer};
///
/// # fn main() -> Result<(), auto_logout::ConfigError> {
/// let store = AutoLogoutStore::new(MemoryStore::default());
/// let app: Router = Router::new()
///     .layer(AutoLogoutLayer::new(Config::builder().idle_time("15m").build()?, &store))
///     .layer(SessionManagerLayer::new(store))
///     .layer(StoreErrorsLayer);
/// # Ok(())
/// # }
/// ```
///
/// It changes a `500` only when one of the crate's stores
/// ([`AutoLogoutStore`](super::AutoLogoutStore), the Redis store) failed a
/// call during the request, and leaves every other answer alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreErrorsLayer;

impl<S> Layer<S> for StoreErrorsLayer {
    type Service = StoreErrors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        StoreErrors { inner }
    }
}

/// The [`Service`] made by [`StoreErrorsLayer`].
#[derive(Clone, Debug)]
pub struct StoreErrors<S> {
    inner: S,
}

impl<S, B, ResBody> Service<Request<B>> for StoreErrors<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: From<Body> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let answer = self.inner.call(req);
        Box::pin(STORE_FAILED.scope(Cell::new(false), async move {
            let res = answer.await?;
            let store_failed = STORE_FAILED.with(Cell::get);
            if res.status() == StatusCode::INTERNAL_SERVER_ERROR && store_failed {
                return Ok(into_response::<Body>(Reply::store_failed()).map(ResBody::from));
            }
            Ok(res)
        }))
    }
}
