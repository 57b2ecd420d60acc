//! The extractors: [`AutoLogout`] (log in and out) and [`AutoLogoutContext`]
//! (the template context).

use std::fmt;
use std::sync::Arc;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response as AxumResponse};
use http::{StatusCode, request::Parts};
use serde_json::Value;
use tower_sessions::{Session, session};

use super::Shared;
use super::service::end_session;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::context::TemplateContext;
use crate::decision::{ExpiryReason, Remaining, RequestOutcome};
use crate::script::Nonce;
use crate::stamps::Stamps;

/// What the layer leaves in the request extensions for the extractors.
#[derive(Clone)]
pub(super) struct RequestState {
    pub(super) shared: Arc<Shared>,
    pub(super) now: Timestamp,
    pub(super) outcome: RequestOutcome,
}

/// The rejection of [`AutoLogout`] and [`AutoLogoutContext`] when the
/// request did not pass through an [`AutoLogoutLayer`](super::AutoLogoutLayer): `500` with a text
/// that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingAutoLogoutLayer;

impl fmt::Display for MissingAutoLogoutLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "auto-logout: the request did not pass through AutoLogoutLayer; add it to the router",
        )
    }
}

impl std::error::Error for MissingAutoLogoutLayer {}

impl IntoResponse for MissingAutoLogoutLayer {
    fn into_response(self) -> AxumResponse {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// What the layer left in the request, or the rejection when it did not run.
fn state_of(parts: &Parts) -> Result<&RequestState, MissingAutoLogoutLayer> {
    parts
        .extensions
        .get::<RequestState>()
        .ok_or(MissingAutoLogoutLayer)
}

/// Extractor (and [`AutoLogoutLayer::handle`](super::AutoLogoutLayer::handle)): log a session in and out.
///
/// ```
/// use auto_logout::axum::AutoLogout;
/// use axum::response::Redirect;
/// use tower_sessions::Session;
///
/// async fn logout(auto_logout: AutoLogout, session: Session) -> Redirect {
///     let _ = auto_logout.logout(&session).await;
///     Redirect::to("/login")
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
    /// (now), and cycles the session id as Django's `login()` does. Call it
    /// when the user has logged in; data already in the session is kept.
    ///
    /// The limits are per session: a login on another device starts that
    /// session's own clocks and never extends this one.
    pub async fn login(&self, session: &Session) -> Result<(), session::Error> {
        session.cycle_id().await?;
        let stamps = Stamps::at_login(self.now()).encode();
        session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
            .await?;
        Ok(())
    }

    /// Logs the session out, as Django's `logout()` does: its record is
    /// deleted, its data cleared, and whatever the request stores afterwards
    /// (a flash message) goes into a session with a new id.
    ///
    /// (`Session::flush` alone deletes the record, but data inserted after it
    /// is saved under the old id again.)
    pub async fn logout(&self, session: &Session) -> Result<(), session::Error> {
        end_session(session).await
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

impl<S: Send + Sync> FromRequestParts<S> for AutoLogout {
    type Rejection = MissingAutoLogoutLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = state_of(parts)?;
        Ok(AutoLogout {
            shared: state.shared.clone(),
            now: Some(state.now),
        })
    }
}

/// Extractor: this request's template context — the remaining time and the
/// script tag — for any of the template integrations.
///
/// ```
/// use auto_logout::axum::AutoLogoutContext;
/// use axum::response::Html;
///
/// async fn page(ctx: AutoLogoutContext) -> Html<String> {
///     let ctx = ctx.context();
///     Html(format!(
///         "<script>var idleEnd = {};</script>{}",
///         ctx.seconds_until_idle_end(),
///         ctx.redirect_to_login_immediately(),
///     ))
/// }
/// ```
///
/// For anonymous visitors and sessions that just expired it gives the
/// anonymous context (zeros, no script). Serializes (serde) as
/// [`AutoLogoutContext::context`] does. As `Option<AutoLogoutContext>` it
/// yields `None` instead of failing when the layer is not installed.
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

    /// The context with the script as `<script src=...>`, served by the layer
    /// (for `Content-Security-Policy: script-src 'self'`).
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

impl<S: Send + Sync> FromRequestParts<S> for AutoLogoutContext {
    type Rejection = MissingAutoLogoutLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = state_of(parts)?;
        Ok(AutoLogoutContext {
            config: state.shared.config.clone(),
            outcome: state.outcome,
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AutoLogoutContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <AutoLogoutContext as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AutoLogout {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <AutoLogout as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}
