//! The extractors: [`AutoLogout`] (log in and out) and [`AutoLogoutContext`]
//! (the template context), with the same names and methods as on axum.

use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_session::{Session, SessionInsertError};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};

use super::{Shared, session};
use crate::clock::Timestamp;
use crate::config::Config;
use crate::context::TemplateContext;
use crate::decision::{ExpiryReason, Remaining, RequestOutcome};
use crate::script::Nonce;
use crate::stamps::Stamps;

/// What the middleware leaves in the request extensions for the extractors.
#[derive(Clone)]
pub(super) struct RequestState {
    pub(super) shared: Arc<Shared>,
    pub(super) now: Timestamp,
    pub(super) outcome: RequestOutcome,
}

/// The error of [`AutoLogout`] and [`AutoLogoutContext`] when the request did
/// not pass through an [`AutoLogoutMiddleware`](super::AutoLogoutMiddleware):
/// `500` with a text that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingAutoLogoutMiddleware;

impl fmt::Display for MissingAutoLogoutMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "auto-logout: the request did not pass through AutoLogoutMiddleware; wrap the app in it",
        )
    }
}

impl std::error::Error for MissingAutoLogoutMiddleware {}

impl ResponseError for MissingAutoLogoutMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

fn state_of(req: &HttpRequest) -> Result<RequestState, MissingAutoLogoutMiddleware> {
    req.extensions()
        .get::<RequestState>()
        .cloned()
        .ok_or(MissingAutoLogoutMiddleware)
}

/// Extractor (and [`AutoLogoutMiddleware::handle`](super::AutoLogoutMiddleware::handle)):
/// log a session in and out.
///
/// ```
/// use actix_session::Session;
/// use actix_web::HttpResponse;
/// use auto_logout::actix::AutoLogout;
///
/// async fn logout(auto_logout: AutoLogout, session: Session) -> HttpResponse {
///     auto_logout.logout(&session);
///     HttpResponse::SeeOther().insert_header(("location", "/login")).finish()
/// }
/// ```
#[derive(Clone)]
pub struct AutoLogout {
    pub(super) shared: Arc<Shared>,
    /// The request's `now`, when extracted from one.
    pub(super) now: Option<Timestamp>,
}

impl fmt::Debug for AutoLogout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoLogout")
            .field("config", &self.shared.config)
            .field("now", &self.now())
            .finish()
    }
}

impl AutoLogout {
    /// Starts this session's clocks: stores login time and last activity
    /// (now), and renews the session key as Django's `login()` cycles the id.
    /// Call it when the user has logged in; data already in the session is
    /// kept.
    ///
    /// The limits are per session: a login on another device starts that
    /// session's own clocks and never extends this one.
    pub fn login(&self, session: &Session) -> Result<(), SessionInsertError> {
        session.renew();
        session::write_stamps(session, &Stamps::at_login(self.now()))
    }

    /// Logs the session out, as Django's `logout()` does: its data cleared,
    /// its record deleted at the end of the request, and whatever the request
    /// stores afterwards (a new login) saved under a new key.
    pub fn logout(&self, session: &Session) {
        session::end(session);
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The request's `now` when extracted from a request, else the clock's.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(|| self.shared.clock.now())
    }
}

impl FromRequest for AutoLogout {
    type Error = MissingAutoLogoutMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(state_of(req).map(|state| AutoLogout {
            shared: state.shared,
            now: Some(state.now),
        }))
    }
}

/// Extractor: this request's template context — the remaining time and the
/// script tag — for any of the template integrations. The same type and
/// methods as the axum integration's.
///
/// ```
/// use actix_web::HttpResponse;
/// use auto_logout::actix::AutoLogoutContext;
///
/// async fn page(ctx: AutoLogoutContext) -> HttpResponse {
///     let ctx = ctx.context();
///     HttpResponse::Ok().body(format!(
///         "<script>var idleEnd = {};</script>{}",
///         ctx.seconds_until_idle_end(),
///         ctx.redirect_to_login_immediately(),
///     ))
/// }
/// ```
///
/// For anonymous visitors and sessions that just expired it gives the
/// anonymous context (zeros, no script). As `Option<AutoLogoutContext>` it
/// yields `None` instead of failing when the middleware is not installed.
#[derive(Clone, Debug)]
pub struct AutoLogoutContext {
    config: Config,
    outcome: RequestOutcome,
}

impl AutoLogoutContext {
    /// The context with the inline script, which asks the `status` endpoint
    /// before leaving and offers "Stay signed in" through `keepalive`.
    pub fn context(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).with_endpoints()
    }

    /// The context with the script as `<script src=...>`, served by the
    /// middleware (for `Content-Security-Policy: script-src 'self'`).
    pub fn external(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).external()
    }

    /// The inline context with a CSP nonce on the tag.
    pub fn with_nonce<'a>(&'a self, nonce: Nonce<'a>) -> TemplateContext<'a> {
        self.context().with_nonce(nonce)
    }

    /// `true` when the session is logged in and active.
    pub fn is_active(&self) -> bool {
        matches!(self.outcome, RequestOutcome::Active { .. })
    }

    /// Why the session was logged out by this very request, if it was.
    pub fn expired(&self) -> Option<ExpiryReason> {
        match self.outcome {
            RequestOutcome::Expired(reason) => Some(reason),
            _ => None,
        }
    }

    /// The time left, when active.
    pub fn remaining(&self) -> Option<Remaining> {
        match self.outcome {
            RequestOutcome::Active { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl serde::Serialize for AutoLogoutContext {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.context().serialize(serializer)
    }
}

impl FromRequest for AutoLogoutContext {
    type Error = MissingAutoLogoutMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(state_of(req).map(|state| AutoLogoutContext {
            config: state.shared.config.clone(),
            outcome: state.outcome,
        }))
    }
}
