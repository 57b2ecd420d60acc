//! [`RequireRecentLoginLayer`]: "sudo mode" for sensitive routes, which need a
//! sign-in or a re-authentication within a time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_core::body::Body;
use http::{Request, Response};
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::Session;

use super::extract::RequestState;
use super::response::into_response;
use crate::engine::{RecentLogin, Reply};
use crate::stamps::Stamps;

/// Lets a request through only when its session signed in, or
/// re-authenticated ("Sign in again", [`AutoLogout::reauthenticated`](super::AutoLogout::reauthenticated)),
/// at most `within` ago; otherwise a page goes to `reauthenticate_url?next=<path>`,
/// `fetch` gets `401` `{"error":"reauthentication_required","reauthenticate":..}`,
/// htmx an `HX-Redirect` ([`reauthentication_reply`](crate::engine::reauthentication_reply)). Put it on the
/// sensitive routes with `route_layer`, inside [`AutoLogoutLayer`](super::AutoLogoutLayer):
///
/// ```
/// use std::time::Duration;
/// use auto_logout::axum::RequireRecentLoginLayer;
/// use axum::{Router, routing::post};
///
/// let sensitive: Router = Router::new()
///     .route("/account/delete", post(|| async { "deleted" }))
///     .route_layer(RequireRecentLoginLayer::new(Duration::from_secs(300), "/reauthenticate"));
/// ```
///
/// Without `AutoLogoutLayer` and `SessionManagerLayer` outside it, every
/// request of those routes is answered `500` with a text that says so.
#[derive(Clone, Debug)]
pub struct RequireRecentLoginLayer {
    rule: RecentLogin,
}

impl RequireRecentLoginLayer {
    /// Sign-ins older than `within` are sent to `reauthenticate_url`, the
    /// app's page that asks for the password and calls
    /// `AutoLogout::reauthenticated`.
    ///
    /// # Panics
    ///
    /// When `reauthenticate_url` is not a path on this site (`/…`, not `//…`):
    /// the redirect must never leave the site.
    pub fn new(within: Duration, reauthenticate_url: &str) -> Self {
        RequireRecentLoginLayer {
            rule: RecentLogin::new(within, reauthenticate_url),
        }
    }
}

impl<S> Layer<S> for RequireRecentLoginLayer {
    type Service = RequireRecentLogin<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireRecentLogin {
            inner,
            rule: self.rule.clone(),
        }
    }
}

/// The [`Service`] made by [`RequireRecentLoginLayer`].
#[derive(Clone, Debug)]
pub struct RequireRecentLogin<S> {
    inner: S,
    rule: RecentLogin,
}

/// The `500` text when the layers it needs are not outside it.
const OUTSIDE_THE_LAYERS: &str = "auto-logout: RequireRecentLoginLayer needs AutoLogoutLayer and \
SessionManagerLayer outside it; add it with route_layer on routes of a router that has both";

impl<S, B, ResBody> Service<Request<B>> for RequireRecentLogin<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: From<Body> + Send + 'static,
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
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rule = self.rule.clone();
        let state = req.extensions().get::<RequestState>().cloned();
        let session = req.extensions().get::<Session>().cloned();
        Box::pin(async move {
            let answer = |reply: Reply| Ok(into_response::<Body>(reply).map(ResBody::from));
            let (Some(state), Some(session)) = (state, session) else {
                return answer(Reply::misconfigured(OUTSIDE_THE_LAYERS));
            };
            let Ok(stored) = session.get_value(Stamps::SESSION_KEY).await else {
                return answer(Reply::store_failed());
            };
            let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
            let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
            let refused = rule.check(
                &state.shared.config,
                stored.as_ref().and_then(Value::as_str),
                state.now,
                path_and_query,
                header,
            );
            match refused {
                Some(reply) => answer(reply),
                None => inner.call(req).await,
            }
        })
    }
}
