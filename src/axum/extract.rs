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
use super::session::end_session;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::limits::{LoginError, SessionLimits};
use crate::sessions::{self, SessionIndexError, SignIn, UserSession};
use crate::stamps::Stamps;

/// What the layer leaves in the request extensions for the extractors.
pub(super) type RequestState = crate::engine::flow::RequestState<super::Axum>;

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
        self.shared.watch.login_called();
        session.cycle_id().await?;
        let stamps = Stamps::at_login(self.now()).encode();
        session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
            .await?;
        Ok(())
    }

    /// [`AutoLogout::login`] with this session's own limits, for example a
    /// longer absolute limit for "keep me signed in". The limits are checked
    /// first ([`Config::check_limits`]): when the configuration does not
    /// allow them, the answer is [`LoginError::Limits`] and nothing was
    /// written (the session id is not cycled either). The session keeps these
    /// limits for its whole life; see [`SessionLimits`].
    ///
    /// ```
    /// use auto_logout::axum::AutoLogout;
    /// use auto_logout::{LoginError, SessionLimits};
    /// use tower_sessions::Session;
    ///
    /// async fn sign_in(auto_logout: AutoLogout, session: Session, remember: bool) {
    ///     let limits = if remember {
    ///         SessionLimits::new().session_time("8h")
    ///     } else {
    ///         SessionLimits::new()
    ///     };
    ///     match auto_logout.login_with_limits(&session, &limits).await {
    ///         Ok(()) => {}
    ///         Err(LoginError::Limits(refused)) => panic!("configuration: {refused}"),
    ///         Err(other) => eprintln!("{other}"),
    ///     }
    /// }
    /// ```
    pub async fn login_with_limits(
        &self,
        session: &Session,
        limits: &SessionLimits,
    ) -> Result<(), LoginError<session::Error>> {
        let stamps = self
            .config()
            .login_stamps(self.now(), limits)
            .map_err(LoginError::Limits)?;
        self.login(session).await.map_err(LoginError::Session)?;
        if stamps.has_own_limits() {
            // The same login instant, with the limits.
            session
                .insert_value(Stamps::SESSION_KEY, Value::String(stamps.encode()))
                .await
                .map_err(LoginError::Session)?;
        }
        Ok(())
    }

    /// Signs `sign_in`'s user in, as [`AutoLogout::login`] does (the clocks
    /// start, the session id is cycled), and indexes the session under the
    /// user, so that [`log_out_everywhere`](Self::log_out_everywhere),
    /// [`log_out_other_sessions`](Self::log_out_other_sessions),
    /// [`sessions_of`](Self::sessions_of) and the sweeper reach it. Under
    /// `MAX_SESSIONS_PER_USER`, the user's oldest sessions end first
    /// (`evict-oldest`), or the sign-in is refused with
    /// [`LoginError::TooManySessions`] and nothing written (`refuse-new`).
    ///
    /// ```
    /// use auto_logout::axum::AutoLogout;
    /// use auto_logout::{LoginError, SignIn};
    /// use tower_sessions::Session;
    ///
    /// async fn signed_in(auto_logout: AutoLogout, session: Session, user_agent: &str) -> &'static str {
    ///     match auto_logout.sign_in(&session, SignIn::user("ada").user_agent(user_agent)).await {
    ///         Ok(()) => "welcome",
    ///         Err(LoginError::TooManySessions { .. }) => "sign out on another device first",
    ///         Err(_) => "please try again",
    ///     }
    /// }
    /// ```
    pub async fn sign_in(
        &self,
        session: &Session,
        sign_in: SignIn,
    ) -> Result<(), LoginError<session::Error>> {
        self.sign_in_with_limits(session, sign_in, &SessionLimits::new())
            .await
    }

    /// [`AutoLogout::sign_in`] with this session's own limits (see
    /// [`AutoLogout::login_with_limits`]); the limits are checked first.
    pub async fn sign_in_with_limits(
        &self,
        session: &Session,
        sign_in: SignIn,
        limits: &SessionLimits,
    ) -> Result<(), LoginError<session::Error>> {
        let index = self.shared.store.index.as_ref();
        let (stamps, owner) =
            sessions::prepare_sign_in(index, self.config(), self.now(), &sign_in, limits).await?;
        self.shared.watch.login_called();
        session.cycle_id().await.map_err(LoginError::Session)?;
        session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps.encode()))
            .await
            .map_err(LoginError::Session)?;
        session
            .insert(sessions::OWNER_KEY, owner)
            .await
            .map_err(LoginError::Session)
    }

    /// The sessions of the user signed in to `session` (with
    /// [`AutoLogout::sign_in`]), oldest first, this one marked `current`:
    /// a "your sessions" page (OWASP ASVS 7.5.2).
    pub async fn own_sessions(
        &self,
        session: &Session,
    ) -> Result<Vec<UserSession>, SessionIndexError> {
        let index = self.shared.store.index.as_ref();
        sessions::own_sessions(index, self.config(), owner_of(session).await).await
    }

    /// Ends every other session of the user signed in to `session`, this
    /// one kept: after a password change (OWASP ASVS 7.4.3), or "sign out
    /// everywhere else". Reason `revoked`; how many this call ended.
    pub async fn log_out_other_sessions(
        &self,
        session: &Session,
    ) -> Result<usize, SessionIndexError> {
        let index = self.shared.store.index.as_ref();
        sessions::end_other_sessions(index, owner_of(session).await).await
    }

    sessions::index_methods!();

    /// Restarts **both** clocks of a signed-in session whose user has just
    /// given their password again (NIST SP 800-63B §5.2: a successful
    /// re-authentication resets both timeouts), for apps with their own
    /// re-authentication page; cycles the session id and keeps the data and
    /// the session's own limits. A locked session (`LOCK_AFTER`) is unlocked.
    ///
    /// `Ok(false)` when the session is not signed in (or already expired,
    /// which is not brought back): sign the user in with
    /// [`AutoLogout::login`] instead.
    pub async fn reauthenticated(&self, session: &Session) -> Result<bool, session::Error> {
        let stored = session.get_value(Stamps::SESSION_KEY).await?;
        let Some(stamps) = self
            .config()
            .reauthenticated_stamps(stored.as_ref().and_then(Value::as_str), self.now())
        else {
            return Ok(false);
        };
        session.cycle_id().await?;
        session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps.encode()))
            .await?;
        crate::audit::reauthenticated();
        Ok(true)
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

/// The owner `sign_in` left in `session`, if any.
async fn owner_of(session: &Session) -> Result<Option<sessions::Owner>, String> {
    let value = session
        .get_value(sessions::OWNER_KEY)
        .await
        .map_err(|error| error.to_string())?;
    Ok(value.as_ref().and_then(sessions::Owner::from_value))
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

use crate::page::PageContext as AutoLogoutContext;

impl<S: Send + Sync> FromRequestParts<S> for AutoLogoutContext {
    type Rejection = MissingAutoLogoutLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = state_of(parts)?;
        Ok(AutoLogoutContext::new(
            state.shared.config.clone(),
            state.outcome,
            state.shows_message,
        ))
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
