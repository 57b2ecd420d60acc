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
use crate::limits::{LoginError, SessionLimits};
use crate::sessions::{self, SessionIndexError, SignIn, UserSession};
use crate::stamps::Stamps;

/// What the middleware leaves in the request extensions for the extractors.
pub(super) type RequestState = crate::engine::flow::RequestState<super::Actix>;

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
        self.shared.watch.login_called();
        session.renew();
        session::write_stamps(session, &Stamps::at_login(self.now()))
    }

    /// [`AutoLogout::login`] with this session's own limits, for example a
    /// longer absolute limit for "keep me signed in"; the same as on axum.
    /// The limits are checked first ([`Config::check_limits`]): when the
    /// configuration does not allow them, the answer is
    /// [`LoginError::Limits`] and nothing was written (the session key is
    /// not renewed either). The session keeps these limits for its whole
    /// life; see [`SessionLimits`].
    ///
    /// ```
    /// use actix_session::Session;
    /// use actix_web::HttpResponse;
    /// use auto_logout::actix::AutoLogout;
    /// use auto_logout::{LoginError, SessionLimits};
    ///
    /// fn sign_in(auto_logout: &AutoLogout, session: &Session, remember: bool) -> HttpResponse {
    ///     let limits = if remember {
    ///         SessionLimits::new().session_time("8h")
    ///     } else {
    ///         SessionLimits::new()
    ///     };
    ///     match auto_logout.login_with_limits(session, &limits) {
    ///         Ok(()) => HttpResponse::SeeOther().insert_header(("location", "/")).finish(),
    ///         Err(LoginError::Limits(refused)) => HttpResponse::InternalServerError().body(refused.to_string()),
    ///         Err(other) => HttpResponse::ServiceUnavailable().body(other.to_string()),
    ///     }
    /// }
    /// ```
    pub fn login_with_limits(
        &self,
        session: &Session,
        limits: &SessionLimits,
    ) -> Result<(), LoginError<SessionInsertError>> {
        let stamps = self
            .config()
            .login_stamps(self.now(), limits)
            .map_err(LoginError::Limits)?;
        self.login(session).map_err(LoginError::Session)?;
        if stamps.has_own_limits() {
            // The same login instant, with the limits.
            session::write_stamps(session, &stamps).map_err(LoginError::Session)?;
        }
        Ok(())
    }

    /// Signs `sign_in`'s user in, as [`AutoLogout::login`] does (the clocks
    /// start, the session key is renewed), and indexes the session under
    /// the user, so that [`log_out_everywhere`](Self::log_out_everywhere),
    /// [`log_out_other_sessions`](Self::log_out_other_sessions),
    /// [`sessions_of`](Self::sessions_of) and the sweeper reach it. Under
    /// `MAX_SESSIONS_PER_USER`, the user's oldest sessions end first
    /// (`evict-oldest`), or the sign-in is refused with
    /// [`LoginError::TooManySessions`] and nothing written (`refuse-new`).
    ///
    /// ```
    /// use actix_session::Session;
    /// use auto_logout::actix::AutoLogout;
    /// use auto_logout::{LoginError, SignIn};
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
    ) -> Result<(), LoginError<SessionInsertError>> {
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
    ) -> Result<(), LoginError<SessionInsertError>> {
        let index = self.shared.store.index.as_ref();
        let (stamps, owner) =
            sessions::prepare_sign_in(index, self.config(), self.now(), &sign_in, limits).await?;
        self.shared.watch.login_called();
        session.renew();
        session::write_stamps(session, &stamps).map_err(LoginError::Session)?;
        session
            .insert(sessions::OWNER_KEY, owner)
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
        sessions::own_sessions(index, self.config(), owner_of(session)).await
    }

    /// Ends every other session of the user signed in to `session`, this
    /// one kept: after a password change (OWASP ASVS 7.4.3), or "sign out
    /// everywhere else". Reason `revoked`; how many this call ended.
    pub async fn log_out_other_sessions(
        &self,
        session: &Session,
    ) -> Result<usize, SessionIndexError> {
        let index = self.shared.store.index.as_ref();
        sessions::end_other_sessions(index, owner_of(session)).await
    }

    sessions::index_methods!();

    /// Restarts **both** clocks of a signed-in session whose user has just
    /// given their password again (NIST SP 800-63B §5.2: a successful
    /// re-authentication resets both timeouts), for apps with their own
    /// re-authentication page; renews the session id and keeps the data and
    /// the session's own limits. A locked session (`LOCK_AFTER`) is unlocked.
    ///
    /// `Ok(false)` when the session is not signed in (or already expired,
    /// which is not brought back): sign the user in with
    /// [`AutoLogout::login`] instead.
    pub fn reauthenticated(&self, session: &Session) -> Result<bool, SessionInsertError> {
        let stored = session.get::<String>(Stamps::SESSION_KEY).ok().flatten();
        let Some(stamps) = self
            .config()
            .reauthenticated_stamps(stored.as_deref(), self.now())
        else {
            return Ok(false);
        };
        session.renew();
        session::write_stamps(session, &stamps)?;
        crate::audit::reauthenticated();
        Ok(true)
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

/// The owner `sign_in` left in `session`, if any.
fn owner_of(session: &Session) -> Result<Option<sessions::Owner>, String> {
    let value = session
        .get::<serde_json::Value>(sessions::OWNER_KEY)
        .map_err(|error| error.to_string())?;
    Ok(value.as_ref().and_then(sessions::Owner::from_value))
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

use crate::page::PageContext as AutoLogoutContext;

impl FromRequest for AutoLogoutContext {
    type Error = MissingAutoLogoutMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(state_of(req).map(|state| {
            AutoLogoutContext::new(
                state.shared.config.clone(),
                state.outcome,
                state.shows_message,
            )
        }))
    }
}
