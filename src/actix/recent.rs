//! [`RequireRecentLogin`]: "sudo mode" for sensitive routes, which need a
//! sign-in or a re-authentication within a time, as on axum.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_session::SessionExt as _;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage as _};

use super::extract::RequestState;
use super::response::into_response;
use crate::engine::{RecentLogin, Reply};
use crate::stamps::Stamps;

/// Lets a request through only when its session signed in, or
/// re-authenticated ("Sign in again", [`AutoLogout::reauthenticated`](super::AutoLogout::reauthenticated)),
/// at most `within` ago; otherwise a page goes to `reauthenticate_url?next=<path>`,
/// `fetch` gets `401` `{"error":"reauthentication_required","reauthenticate":..}`,
/// htmx an `HX-Redirect` ([`reauthentication_reply`](crate::engine::reauthentication_reply)). Wrap the sensitive
/// resources or scopes in it, inside [`AutoLogoutMiddleware`](super::AutoLogoutMiddleware):
///
/// ```
/// use std::time::Duration;
/// use actix_web::{HttpResponse, web};
/// use auto_logout::actix::RequireRecentLogin;
///
/// let sensitive = web::resource("/account/delete")
///     .wrap(RequireRecentLogin::new(Duration::from_secs(300), "/reauthenticate"))
///     .route(web::post().to(|| async { HttpResponse::Ok().body("deleted") }));
/// # let _ = sensitive;
/// ```
///
/// Without `AutoLogoutMiddleware` and `SessionMiddleware` outside it, every
/// request it wraps is answered `500` with a text that says so.
#[derive(Clone, Debug)]
pub struct RequireRecentLogin {
    rule: RecentLogin,
}

impl RequireRecentLogin {
    /// Sign-ins older than `within` are sent to `reauthenticate_url`, the
    /// app's page that asks for the password and calls
    /// `AutoLogout::reauthenticated`.
    ///
    /// # Panics
    ///
    /// When `reauthenticate_url` is not a path on this site (`/…`, not `//…`):
    /// the redirect must never leave the site.
    pub fn new(within: Duration, reauthenticate_url: &str) -> Self {
        RequireRecentLogin {
            rule: RecentLogin::new(within, reauthenticate_url),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireRecentLogin
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireRecentLoginService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireRecentLoginService {
            service: Rc::new(service),
            guard: self.clone(),
        }))
    }
}

/// The inner [`Service`] made by [`RequireRecentLogin`].
#[derive(Debug)]
pub struct RequireRecentLoginService<S> {
    service: Rc<S>,
    guard: RequireRecentLogin,
}

/// The `500` text when the middleware it needs are not outside it.
const OUTSIDE_THE_MIDDLEWARE: &str = "auto-logout: RequireRecentLogin needs AutoLogoutMiddleware and \
SessionMiddleware outside it; wrap the app in both and the sensitive resources in it";

impl<S, B> Service<ServiceRequest> for RequireRecentLoginService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let state = req.extensions().get::<RequestState>().cloned();
        let reply = match state {
            None => Some(Reply::misconfigured(OUTSIDE_THE_MIDDLEWARE)),
            Some(state) => {
                let stored = req
                    .get_session()
                    .get::<String>(Stamps::SESSION_KEY)
                    .ok()
                    .flatten();
                let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
                let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
                self.guard.rule.check(
                    &state.shared.config,
                    stored.as_deref(),
                    state.now,
                    path_and_query,
                    header,
                )
            }
        };
        if let Some(reply) = reply {
            let res = req
                .into_response(into_response(reply))
                .map_into_right_body();
            return Box::pin(async move { Ok(res) });
        }
        let service = Rc::clone(&self.service);
        Box::pin(async move { Ok(service.call(req).await?.map_into_left_body()) })
    }
}
