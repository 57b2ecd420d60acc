//! The application's logout hook: how long it may take, how its answer
//! reaches each kind of request, and its failures kept from the request.

use std::borrow::Cow;
use std::time::Duration;

use super::*;
use crate::decision::ExpiryReason;

/// How long an integration waits for the application's logout hook
/// (`on_logout`) before it gives the usual answer: a hook that never answers
/// (an identity provider that hangs) must not hang the request. The session
/// is logged out either way.
pub const LOGOUT_HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// What the answer of the application's logout hook becomes, by the kind of
/// request that found the expiry ([`hook_answer`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookAnswer {
    /// The hook's response is the answer, as it is (a page navigation; a
    /// `fetch` or htmx request given a response that is not a redirect).
    AsIs,
    /// This reply instead: the hook's redirect location handed to the page's
    /// script as data (the `login` field of the JSON answers, `HX-Redirect`).
    Reply(Reply),
    /// The usual answer, as without a hook: the hook's response cannot be
    /// given to this request (the crate's own `status` and `keepalive`, whose
    /// callers need their JSON, given a response that is not a redirect).
    Usual,
}

/// What to answer when the logout hook replaced the answer of a request
/// whose session expired with a response of `status` and, if it has one,
/// the `Location` header `location`.
///
/// A *redirect* is a `3xx` with a `Location`. Its location is where the user
/// goes next (an OpenID Connect end-session URL, say); how it gets there
/// depends on who asked:
///
/// | request | a redirect | any other response |
/// |---|---|---|
/// | `status`, `keepalive` (the client script) | `200`, `{"active":false,"reason":..,"login":<location>}`: the script goes there instead of `LOGIN_URL` | the usual JSON |
/// | `fetch`/XHR | `401`, `{"error":"session_expired","reason":..,"login":<location>}` | as it is |
/// | htmx | `200` with `HX-Redirect: <location>` | as it is |
/// | a page navigation | as it is | as it is |
///
/// A `fetch` that followed a redirect to another site would fail on CORS and
/// the script's `status` request must get JSON, hence the data. The location
/// is the hook's own choice and may be on another site (the identity
/// provider): only the application's hook can choose it, never a request
/// header or session data. Every such answer is `Cache-Control: no-store`;
/// for [`HookAnswer::AsIs`] add [`hook_cache_control`].
///
/// ```
/// use auto_logout::ExpiryReason;
/// use auto_logout::engine::{Endpoint, HookAnswer, hook_answer};
///
/// let idp = "https://idp.example/logout?client_id=shop";
/// let no_headers = |_: &str| None;
/// // A page navigation: the hook's redirect is the answer.
/// assert_eq!(hook_answer(ExpiryReason::Idle, None, 303, Some(idp), no_headers), HookAnswer::AsIs);
/// // The script's status request: the location as data.
/// let HookAnswer::Reply(reply) =
///     hook_answer(ExpiryReason::Idle, Some(Endpoint::Status), 303, Some(idp), no_headers)
/// else { unreachable!() };
/// assert_eq!(
///     reply.body,
///     r#"{"active":false,"login":"https://idp.example/logout?client_id=shop","reason":"idle"}"#
/// );
/// // A page of its own (not a redirect) cannot answer the script.
/// assert_eq!(
///     hook_answer(ExpiryReason::Idle, Some(Endpoint::Status), 200, None, no_headers),
///     HookAnswer::Usual
/// );
/// ```
pub fn hook_answer<'h>(
    reason: ExpiryReason,
    endpoint: Option<Endpoint>,
    status: u16,
    location: Option<&str>,
    header: impl Fn(&str) -> Option<&'h str>,
) -> HookAnswer {
    let redirect = location.filter(|_| (300..400).contains(&status));
    if endpoint.is_some() {
        return match redirect {
            Some(location) => HookAnswer::Reply(Reply {
                status: 200,
                headers: Cow::Borrowed(JSON_HEADERS),
                body: Cow::Owned(gone_json_with_login(reason, location)),
            }),
            None => HookAnswer::Usual,
        };
    }
    let Some(location) = redirect else {
        return HookAnswer::AsIs;
    };
    match answer_expired(header) {
        Answer::Redirect => HookAnswer::AsIs,
        Answer::Unauthorized => HookAnswer::Reply(Reply {
            status: 401,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(expired_json_with_login(reason, location)),
        }),
        Answer::HtmxRedirect => HookAnswer::Reply(Reply {
            status: 200,
            headers: Cow::Owned(vec![
                ("hx-redirect", Cow::Owned(location.to_owned())),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        }),
    }
}

/// The `Cache-Control` to add to a hook's response given as it is
/// ([`HookAnswer::AsIs`]): `no-store`, unless the hook chose its own.
pub fn hook_cache_control(has_cache_control: bool) -> Option<&'static str> {
    (!has_cache_control).then_some(NO_STORE)
}

/// Runs the application's logout hook `call` for an expiry of `reason`,
/// within `limit`: its answer, or `None` when it answered `None`, failed,
/// panicked or did not answer in time. A failure is reported through the
/// audit events (`hook_failed`) and never leaves the integration's
/// request: it logs the session out and gives the usual answer.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn run_hook<R, F>(
    reason: ExpiryReason,
    limit: Duration,
    call: impl FnOnce() -> F,
) -> Option<R>
where
    F: std::future::Future<Output = Result<Option<R>, String>> + Unpin,
{
    match run_guarded("the logout hook", limit, call).await {
        Ok(answer) => answer,
        Err(error) => {
            crate::audit::hook_failed(reason, &error);
            None
        }
    }
}

/// Runs one of the application's hooks (`what` names it in the failure)
/// within `limit`: its answer, or the text of its failure, its panic, or
/// its time running out. A hook's panic is its failure, not the request's.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn run_guarded<T, F>(
    what: &'static str,
    limit: Duration,
    call: impl FnOnce() -> F,
) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, String>> + Unpin,
{
    use std::panic::{AssertUnwindSafe, catch_unwind};
    // Caught while the future is made and at every poll.
    let mut future = match catch_unwind(AssertUnwindSafe(call)) {
        Ok(future) => future,
        Err(panic) => return Err(HookPanicked(what, panic).to_string()),
    };
    let guarded = std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| {
            std::pin::Pin::new(&mut future).poll(cx)
        })) {
            Ok(poll) => poll,
            Err(panic) => std::task::Poll::Ready(Err(HookPanicked(what, panic).to_string())),
        }
    });
    match tokio::time::timeout(limit, guarded).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("{what} did not answer within {limit:?}")),
    }
}

/// A panic of one of the application's hooks, shown with its message.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(super) struct HookPanicked(
    pub(super) &'static str,
    pub(super) Box<dyn std::any::Any + Send>,
);

#[cfg(any(feature = "axum", feature = "actix"))]
impl std::fmt::Display for HookPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = self
            .1
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| self.1.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        write!(f, "{} panicked: {message}", self.0)
    }
}

/// An automatic logout, as the application's logout hook (`on_logout` of the
/// axum layer or the actix-web middleware) sees it: why, the request's
/// session *before* it is cleared (read the ID token for an OpenID Connect
/// logout from it), and the request that found it. Each integration names
/// it with its framework's types: `auto_logout::axum::LogoutEvent`,
/// `auto_logout::actix::LogoutEvent`.
///
/// Changes the hook makes to the session are lost: the session is cleared
/// right after it returns.
///
/// # What the hook's answer does
///
/// The hook runs on every automatic logout — idle, absolute limit, or stamps
/// that cannot be trusted — once per logout, on the request whose delete
/// ended the session (whichever request finds it, on whichever instance), as
/// django-auto-logout's `CUSTOM_LOGOUT_FUNC`.
///
/// `Ok(Some(response))` replaces the answer, e.g. a `303` to an OpenID
/// Connect end-session URL. A page navigation gets that response as it is;
/// the client script's `status` request, `fetch` and htmx get a redirect's
/// location as data (the `login` field of the JSON answer, `HX-Redirect`),
/// and the script goes there instead of `LOGIN_URL` (the table at
/// [`hook_answer`]). `Ok(None)` keeps the usual answer.
///
/// The session is logged out whatever the hook does. An `Err`, a panic, or
/// no answer within the limit ([`LOGOUT_HOOK_TIMEOUT`], 5 s, unless the
/// integration's `logout_hook_timeout` sets another) gives the usual answer
/// and is reported as the audit event `hook_failed` (feature `tracing`).
pub struct LogoutEvent<Session, Method, Uri, Headers> {
    pub(crate) reason: ExpiryReason,
    pub(crate) session: Session,
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: Headers,
}

impl<Session, Method, Uri, Headers> LogoutEvent<Session, Method, Uri, Headers> {
    /// Why the session ended: idle, absolute limit, or stamps that could not
    /// be trusted.
    pub fn reason(&self) -> ExpiryReason {
        self.reason
    }

    /// The request's session, with all its data still in it.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request's headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

impl<Session, Method: std::fmt::Debug, Uri: std::fmt::Debug, Headers> std::fmt::Debug
    for LogoutEvent<Session, Method, Uri, Headers>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoutEvent")
            .field("reason", &self.reason)
            .field("method", &self.method)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}
