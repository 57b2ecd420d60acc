//! [`AutoLogoutService`]: the per-request work of the layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::response::Response as AxumResponse;
use http::request::Parts;
use http::{Request, Response, header};
use tower_service::Service;
use tower_sessions::Session;

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
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
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

/// The engine's flow before the application answers. Boxed apart by [`run`]:
/// with the headers the rules read it is the larger half of the request's
/// state, and each half stays small enough for the allocator's per-thread
/// cache.
async fn begin(shared: &Arc<Shared>, head: &mut Parts) -> Begin<AxumResponse, Session> {
    let mut exchange = AxumExchange::new(head);
    flow::begin(shared, &mut exchange).await
}

/// The body of a password endpoint's request, in its extensions.
#[derive(Clone)]
pub(super) struct PasswordForm(pub(super) String);

/// The body of a password endpoint's request: at most
/// [`FORM_LIMIT`](crate::engine::FORM_LIMIT) bytes of UTF-8, else `None`.
async fn read_form<B>(body: B) -> Option<String>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::{BodyExt, Limited};
    let collected = Limited::new(body, crate::engine::FORM_LIMIT)
        .collect()
        .await
        .ok()?;
    flow::form_text(&collected.to_bytes())
}

async fn run<S, B, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    req: Request<B>,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResBody: From<String> + From<&'static str> + From<Body>,
{
    // The flow holds the request's head across its awaits; the body need
    // not be `Sync`, so it waits apart. In a block of its own, so that the
    // head's place in this future is reused by the application's future.
    let (pending, req) = {
        let (mut head, body) = req.into_parts();
        // The password endpoints' form, read before the flow (which answers
        // them itself: their body is not needed afterwards).
        // In the extensions, where the flow finds it: no place for it in
        // the flow's future.
        let body = if flow::reads_form(&shared.endpoints, head.method.as_str(), head.uri.path()) {
            let read = Box::pin(read_form(body));
            if let Some(form) = read.await {
                head.extensions.insert(PasswordForm(form));
            }
            None
        } else {
            Some(body)
        };
        // Boxed in a statement of its own: a temporary of the `await`
        // statement would keep the unboxed future's place in this one
        // (2,000 bytes instead of 784 in a release build, beyond the
        // allocator's per-thread cache).
        let begun = Box::pin(begin(&shared, &mut head));
        let pending = match begun.await {
            Begin::Reply(reply) => return Ok(into_response(reply)),
            Begin::HookResponse(response) => return Ok(response.map(ResBody::from)),
            Begin::Continue(pending) => pending,
        };
        let Some(body) = body else {
            // The flow answers every password endpoint itself.
            return Ok(into_response(crate::engine::Reply::store_failed()));
        };
        head.extensions.insert(pending.state.clone());
        (pending, Request::from_parts(head, body))
    };
    let mut res = inner.call(req).await?;
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

    /// The most a request's future may hold to be allocated from the
    /// allocator's per-thread cache (glibc's tcache serves requests up to
    /// 1,032 bytes with the chunk's header): beyond, every request pays the
    /// slow path of malloc and free, about 2,000 instructions. A debug build,
    /// as the tests run (an optimised one is smaller).
    const FUTURE_BYTES_AT_MOST: usize = 1_016;

    /// The future of one request is allocated per request: its own state stays
    /// small (the rare paths — writes, logouts, messages — are boxed apart),
    /// and so does the flow's first half, boxed apart.
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
        // The flow's first half, boxed apart by `run`.
        let (mut head, _) = Request::new(()).into_parts();
        let shared = AutoLogoutLayer::new(Config::builder().idle_time(60).build().unwrap(), &store)
            .handle()
            .shared;
        let begin = super::begin(&shared, &mut head);
        let size = std::mem::size_of_val(&begin);
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("axum flow's first half: {size} bytes\n").as_bytes(),
        );
        assert!(size <= FUTURE_BYTES_AT_MOST, "{size} bytes");
    }
}
