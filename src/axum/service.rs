//! [`AutoLogoutService`]: the per-request work of the layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use http::{Request, Response, header};
use tower_service::Service;

use super::Shared;
use super::response::into_response;
use super::session::AxumExchange;
use crate::engine::flow::{self, Begin, Finish};

/// The [`Service`] made by [`AutoLogoutLayer`](super::AutoLogoutLayer).
#[derive(Clone, Debug)]
pub struct AutoLogoutService<S> {
    pub(super) inner: S,
    pub(super) shared: Arc<Shared>,
}

impl<S, B, ResBody> Service<Request<B>> for AutoLogoutService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: From<String> + From<&'static str> + From<Body> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // Use the service that was driven to readiness; leave a clone behind.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(run(self.shared.clone(), inner, req))
    }
}

async fn run<S, B, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    req: Request<B>,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<String> + From<&'static str> + From<Body>,
{
    // The flow holds the request's head across its awaits; the body need
    // not be `Sync`, so it waits apart.
    let (mut head, body) = req.into_parts();
    let pending = match flow::begin(&shared, &mut AxumExchange { request: &mut head }).await {
        Begin::Reply(reply) => return Ok(into_response(reply)),
        Begin::HookResponse(response) => return Ok(response.map(ResBody::from)),
        Begin::Continue(pending) => pending,
    };
    head.extensions.insert(pending.state.clone());
    let mut res = inner.call(Request::from_parts(head, body)).await?;
    let has_cache_control = res.headers().contains_key(header::CACHE_CONTROL);
    match flow::finish(&pending, true, has_cache_control) {
        Finish::Keep { cache_control } => {
            if let Some(value) = cache_control {
                res.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static(value),
                );
            }
        }
        Finish::Replace(reply) => return Ok(into_response(reply)),
    }
    if let Some(after) = flow::after_change(&pending) {
        after.await;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use http::Request;
    use tower_sessions::MemoryStore;

    /// The size of the request future (a debug build, as the tests run):
    /// 976 bytes while the layer wrote its own flow; 1,264 since the flow is
    /// the engine's, which holds the request's head apart from its body (the
    /// body need not be `Sync`) and the state `finish` needs. Its rare paths
    /// (writes, logouts, the end-of-request login checks) stay boxed apart.
    const FUTURE_BYTES_AT_MOST: usize = 1_264;

    /// The future of one request is allocated per request: its own state stays
    /// small (the rare paths — writes, logouts, messages — are boxed apart).
    /// Measured around an inner service whose own future is empty.
    #[test]
    fn the_request_future_stays_small() {
        use crate::Config;
        use crate::axum::{AutoLogoutLayer, AutoLogoutStore};

        let store = AutoLogoutStore::new(MemoryStore::default());
        let config = Config::builder().idle_time(60).build().unwrap();
        let shared = AutoLogoutLayer::new(config, &store).handle().shared;
        let inner = tower::service_fn(|_: Request<axum::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::empty()))
        });
        let future = super::run(shared, inner, Request::new(axum::body::Body::empty()));
        let size = std::mem::size_of_val(&future);
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("axum request future: {size} bytes\n").as_bytes(),
        );
        assert!(size <= FUTURE_BYTES_AT_MOST, "{size} bytes");
    }
}
