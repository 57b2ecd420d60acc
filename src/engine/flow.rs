//! The way through the rules, written once: one request from its route to the
//! end of the application's answer, over a small trait each framework
//! implements ([`Exchange`] for the request, [`SessionIo`] for its session).
//!
//! An integration calls [`begin`] before its inner service and [`finish`]
//! after it; everything between "which endpoint is this" and "start the
//! clocks of a login that forgot the login call" happens here, so the axum
//! layer and the actix middleware cannot drift apart.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Endpoint, Endpoints, Framework, HookAnswer, LoginWatch, Mistake, Reply, Route, activity_of,
    expired_reply, hook_answer, locked_reply, messages_mistake, page_cache_control,
    page_shows_expiry_message, route, run_hook, session_layer_ran, signed_in_during_request,
    starts_clocks_at_end, starts_clocks_of_untracked_login, store_mistake,
};
use crate::clock::{Clock, Timestamp};
use crate::config::Config;
use crate::decision::{Activity, ExpiryReason, RequestOutcome};
use crate::stamps::Stamps;
use crate::store_lock::StoreLink;

/// What a framework's integration is made of, for the state it shares.
pub(crate) trait Integration: 'static {
    /// The framework, for the texts of a [`Mistake`].
    const FRAMEWORK: Framework;
    /// The application's logout hook, type-erased.
    type Hook: Clone + Send + Sync;
    /// The application's password check (`on_unlock`), type-erased.
    type UnlockHook: Clone + Send + Sync;
    /// How the integration sees an authentication crate's logins
    /// (axum-login, actix-identity).
    type Auth: Clone + Send + Sync;
}

/// What a layer or middleware shares with its services, its request state and
/// its handles: the configuration and everything built from it once.
pub(crate) struct Shared<I: Integration> {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    /// The link to the guarded store (whether the session layer uses it, and
    /// how to end a session once).
    pub(crate) store: StoreLink,
    /// The endpoint URLs, built once.
    pub(crate) endpoints: Endpoints,
    /// Set by `on_logout`: the application's code run on every automatic logout.
    pub(crate) on_logout: Option<I::Hook>,
    /// How long the logout hook may take ([`super::LOGOUT_HOOK_TIMEOUT`] unless set).
    pub(crate) hook_timeout: Duration,
    /// Set by `on_unlock`: the application's check of a password given in
    /// the lock or re-authentication dialog (within `hook_timeout` too).
    pub(crate) on_unlock: Option<I::UnlockHook>,
    /// Set by `signed_in_key`: the session key that holds the signed-in user.
    pub(crate) signed_in_key: Option<&'static str>,
    /// Set by `with_axum_login` / `with_actix_identity`.
    pub(crate) auth: Option<I::Auth>,
    /// Whether a login was ever called, for the warning about clocks that
    /// never start; shared by the clones and their handles.
    pub(crate) watch: Arc<LoginWatch>,
}

impl<I: Integration> Shared<I> {
    /// The state for `config`, reading `clock`, over the guarded `store`.
    pub(crate) fn new(config: Config, clock: Arc<dyn Clock>, store: StoreLink) -> Self {
        store.attach(&config, clock.clone());
        Shared {
            endpoints: Endpoints::new(&config),
            config,
            clock,
            store,
            on_logout: None,
            hook_timeout: super::LOGOUT_HOOK_TIMEOUT,
            on_unlock: None,
            signed_in_key: None,
            auth: None,
            watch: Arc::default(),
        }
    }

    /// Reads `now` from `clock` from now on (the store's too).
    pub(crate) fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.store.attach(&self.config, clock.clone());
        self.clock = clock;
    }
}

impl<I: Integration> Clone for Shared<I> {
    fn clone(&self) -> Self {
        Shared {
            config: self.config.clone(),
            clock: self.clock.clone(),
            store: self.store.clone(),
            endpoints: self.endpoints.clone(),
            on_logout: self.on_logout.clone(),
            hook_timeout: self.hook_timeout,
            on_unlock: self.on_unlock.clone(),
            signed_in_key: self.signed_in_key,
            auth: self.auth.clone(),
            watch: self.watch.clone(),
        }
    }
}

impl<I: Integration> fmt::Debug for Shared<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoLogout")
            .field("config", &self.config)
            .field("now", &self.clock.now())
            .field("signed_in_key", &self.signed_in_key)
            .finish_non_exhaustive()
    }
}

/// The builder methods the axum layer and the actix-web middleware share,
/// written once: each holds its [`Shared`] as `shared: Arc<Shared<_>>`, and
/// has the request extractor `AutoLogout` beside it.
macro_rules! shared_methods {
    () => {
        /// Reads `now` from `clock` instead of the system clock, e.g. a
        /// [`ManualClock`](crate::ManualClock) in tests.
        pub fn with_clock(mut self, clock: impl crate::Clock) -> Self {
            std::sync::Arc::make_mut(&mut self.shared).set_clock(std::sync::Arc::new(clock));
            self
        }

        /// How long the logout hook may take before the request gets the
        /// usual answer (the session is logged out either way):
        /// [`LOGOUT_HOOK_TIMEOUT`](crate::engine::LOGOUT_HOOK_TIMEOUT) (5 s)
        /// unless set. A hook that calls an identity provider that hangs must
        /// not hang the request.
        pub fn logout_hook_timeout(mut self, limit: std::time::Duration) -> Self {
            std::sync::Arc::make_mut(&mut self.shared).hook_timeout = limit;
            self
        }

        /// Names the session key that holds the signed-in user (say
        /// `"user"`), for apps whose login does not call
        /// [`AutoLogout::login`]: a session that holds this key (not `null`)
        /// but no clocks gets them started, at the end of the request that
        /// inserted the key or at the start of the first request that finds
        /// it ([`starts_clocks_at_end`](crate::engine::starts_clocks_at_end)).
        /// The session is then indexed under that user (the key's value as
        /// text), as [`AutoLogout::sign_in`] does, and its id renewed. Without this, an
        /// authentication crate or a login call, a session that ends a request
        /// with data but no clocks makes the integration warn once (see the
        /// README's "quick start").
        pub fn signed_in_key(mut self, key: &'static str) -> Self {
            std::sync::Arc::make_mut(&mut self.shared).signed_in_key = Some(key);
            self
        }

        /// The configuration.
        pub fn config(&self) -> &crate::Config {
            &self.shared.config
        }

        /// A handle to log sessions in and out outside a request handler
        /// (inside one, extract [`AutoLogout`]).
        pub fn handle(&self) -> AutoLogout {
            AutoLogout {
                shared: self.shared.clone(),
                now: None,
            }
        }

        /// The path the client script is served at:
        /// `<prefix>auto-logout.<hash>.js`.
        pub fn script_path(&self) -> &str {
            self.shared.endpoints.script()
        }

        /// The path the default warning stylesheet is served at
        /// (`<prefix>auto-logout.<hash>.css`, as
        /// [`Config::stylesheet_url`](crate::Config::stylesheet_url)).
        pub fn stylesheet_path(&self) -> &str {
            self.shared.endpoints.stylesheet()
        }
    };
}
pub(crate) use shared_methods;

/// What the flow leaves in the request for the application's extractors.
pub(crate) struct RequestState<I: Integration> {
    pub(crate) shared: Arc<Shared<I>>,
    /// The request's one `now`.
    pub(crate) now: Timestamp,
    pub(crate) outcome: RequestOutcome,
    /// The login page of an expired session shows the message itself.
    pub(crate) shows_message: bool,
}

impl<I: Integration> Clone for RequestState<I> {
    fn clone(&self) -> Self {
        RequestState {
            shared: self.shared.clone(),
            now: self.now,
            outcome: self.outcome,
            shows_message: self.shows_message,
        }
    }
}

/// A session store call failed: the request is answered with
/// [`Reply::store_failed`].
#[derive(Debug)]
pub(crate) struct StoreFailed;

/// What the session holds under [`Stamps::SESSION_KEY`].
pub(crate) enum Stored<'a> {
    /// Nothing: a session the crate does not track.
    Missing,
    /// A text, to be parsed as stamps.
    Text(&'a str),
    /// A value that is no text: not ours to trust.
    Other,
    /// A record the store could not decode (actix-session decodes before
    /// the middleware runs, and drops what it cannot read).
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    Unreadable,
}

/// The session of one request, as the flow reads and writes it.
pub(crate) trait SessionIo {
    /// An authentication crate's user id, compared before and after the
    /// application's answer.
    type User: PartialEq;
    /// The integration these sessions belong to.
    type Integration: Integration;

    /// Reads the stamps and hands them to `read`.
    fn read_stamps<R>(
        &self,
        read: impl FnOnce(Stored<'_>) -> R + Send,
    ) -> impl Future<Output = Result<R, StoreFailed>>;
    /// Writes `stamps`.
    fn write_stamps(&self, stamps: &Stamps) -> impl Future<Output = Result<(), StoreFailed>>;
    /// Whether the value under `key` says a user is signed in
    /// ([`super::holds_signed_in_user`]).
    fn holds_user(&self, key: &'static str) -> impl Future<Output = Result<bool, StoreFailed>>;
    /// The authentication crate's user in the session now.
    fn user_now(
        &self,
        auth: &<Self::Integration as Integration>::Auth,
    ) -> impl Future<Output = Option<Self::User>>;
    /// Whether the session holds stamps (readable or not).
    fn has_stamps(&self) -> impl Future<Output = bool>;
    /// Whether the session holds data other than flash messages.
    fn holds_data(&self) -> impl Future<Output = bool>;
    /// Whether the request changed the session.
    fn changed(&self) -> bool;
    /// Ends the session: its data cleared, its record deleted, whatever the
    /// request stores afterwards saved under a new id.
    fn end(&self) -> impl Future<Output = Result<(), StoreFailed>>;
    /// The text under `key`, if it holds one.
    fn read_text(
        &self,
        key: &'static str,
    ) -> impl Future<Output = Result<Option<String>, StoreFailed>>;
    /// Stores `value` under `key`.
    fn write_text(
        &self,
        key: &'static str,
        value: String,
    ) -> impl Future<Output = Result<(), StoreFailed>>;
    /// Gives the session a new id, its data kept (after a password).
    fn renew_id(&self) -> impl Future<Output = Result<(), StoreFailed>>;
    /// An authentication crate's user id as text, for the index of the
    /// user's sessions.
    fn user_text(user: &Self::User) -> String;
    /// The signed-in user under `key` as text (a JSON string as it is,
    /// anything else as JSON), `None` when there is none.
    fn signed_in_text(&self, key: &'static str) -> impl Future<Output = Option<String>>;
}

/// One request, as the flow sees it before the application's answer.
pub(crate) trait Exchange {
    /// The request's session.
    type Session: SessionIo;
    /// The application's own response type (the logout hook's answer).
    type Response;

    /// The request method.
    fn method(&self) -> &str;
    /// The request path.
    fn path(&self) -> &str;
    /// The path and the query.
    fn path_and_query(&self) -> &str;
    /// A request header as text.
    fn header(&self, name: &str) -> Option<&str>;
    /// The session the session layer put into the request, `None` when it
    /// has not run before the crate's.
    fn find_session(&mut self) -> Option<Self::Session>;
    /// Whether the session was loaded from the store.
    fn loaded_from_store(&self, session: &Self::Session) -> bool;
    /// The authentication crate's user when the request began.
    fn user_before(
        &self,
        session: &Self::Session,
        auth: &Auth<Self>,
    ) -> Option<<Self::Session as SessionIo>::User>;
    /// Whether the flash-message layer ran before the crate's (so an expiry
    /// message can be flashed).
    fn messages_ready(&self) -> bool;
    /// Deletes the session's record unless another request did: `true` when
    /// this one did (the logout hook runs once per logout).
    fn end_once(
        &self,
        session: &Self::Session,
        store: &StoreLink,
    ) -> impl Future<Output = Result<bool, StoreFailed>>;
    /// Starts the application's logout hook for `reason` (the event holds
    /// the session as it is and the request's method, URI and headers).
    fn call_hook(
        &self,
        hook: &Hook<Self>,
        reason: ExpiryReason,
        session: &Self::Session,
    ) -> impl Future<Output = Result<Option<Self::Response>, String>> + Unpin;
    /// The status and `Location` of the hook's response.
    fn hook_response_parts(response: &Self::Response) -> (u16, Option<&str>);
    /// Adds `Cache-Control: value` to the hook's response unless it has one.
    fn default_cache_control(response: &mut Self::Response, value: &'static str);
    /// Flashes `message`: `false` when it is lost (no flash-message layer).
    fn flash(
        &self,
        session: &Self::Session,
        message: &str,
    ) -> impl Future<Output = Result<bool, StoreFailed>>;
    /// Makes the authentication crate's state of this request anonymous.
    fn log_out_user(&mut self, auth: &Auth<Self>);
    /// The body of a password endpoint's request, read by the integration
    /// before the flow ([`Endpoint::takes_password`]): `None` when it was
    /// not read, is longer than [`super::FORM_LIMIT`] or is not UTF-8.
    fn form(&self) -> Option<&str>;
    /// Starts the application's `on_unlock` hook for `password`.
    fn call_unlock(
        &self,
        hook: &UnlockHook<Self>,
        session: &Self::Session,
        password: String,
        reauthenticate: bool,
    ) -> impl Future<Output = Result<bool, String>> + Unpin;
}

type IntegrationOf<X> = <<X as Exchange>::Session as SessionIo>::Integration;
type Auth<X> = <IntegrationOf<X> as Integration>::Auth;
type Hook<X> = <IntegrationOf<X> as Integration>::Hook;
type UnlockHook<X> = <IntegrationOf<X> as Integration>::UnlockHook;

/// Where a request goes after [`begin`].
pub(crate) enum Begin<Response, S: SessionIo> {
    /// Answer with this reply; the application is not called.
    Reply(Reply),
    /// Answer with the logout hook's own response (its `Cache-Control` set).
    HookResponse(Response),
    /// Call the application, with `state` in the request; then [`finish`].
    Continue(Pending<S>),
}

/// What [`finish`] needs of the request's start.
pub(crate) struct Pending<S: SessionIo> {
    /// Put into the request for the extractors.
    pub(crate) state: RequestState<S::Integration>,
    /// The request's session.
    pub(crate) session: S,
    activity: Activity,
    user_before: Option<S::User>,
    was_active: bool,
    messages_before: bool,
    message_lost: bool,
}

/// Whether the integration reads this request's body before [`begin`]: a
/// `POST` to a password endpoint ([`Endpoint::takes_password`]), which the
/// flow always answers itself (the application never sees the request).
pub(crate) fn reads_form(endpoints: &Endpoints, method: &str, path: &str) -> bool {
    method == "POST"
        && endpoints
            .match_path(path)
            .is_some_and(Endpoint::takes_password)
}

/// The body text of a password endpoint's request, if it is UTF-8 (the
/// integration has read at most [`super::FORM_LIMIT`] bytes of it).
pub(crate) fn form_text(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

/// The rules before the application answers: the route, the session layer,
/// the stamps, the store, a login without clocks, the write or the logout
/// (the hook once, the end, the message, the answer), the endpoints.
pub(crate) async fn begin<X: Exchange>(
    shared: &Arc<Shared<IntegrationOf<X>>>,
    exchange: &mut X,
) -> Begin<X::Response, X::Session> {
    let framework = <IntegrationOf<X> as Integration>::FRAMEWORK;
    let endpoint = match route(
        &shared.endpoints,
        exchange.method(),
        exchange.path(),
        |name| exchange.header(name),
    ) {
        Route::Reply(reply) => return Begin::Reply(reply),
        Route::Continue(endpoint) => endpoint,
    };
    let session = match session_layer_ran(exchange.find_session()) {
        Ok(session) => session,
        Err(mistake) => return Begin::Reply(mistake.reply(framework)),
    };
    // One `now` for the whole request.
    let now = shared.clock.now();
    let config = &shared.config;
    let activity = activity_of(
        config,
        endpoint,
        exchange.method(),
        exchange.path(),
        |name| exchange.header(name),
    );
    let messages_before = exchange.messages_ready();
    let user_before = match &shared.auth {
        Some(auth) => exchange.user_before(&session, auth),
        None => None,
    };
    let mut outcome = match session
        .read_stamps(|stored| decide(config, stored, now, activity))
        .await
    {
        Ok(outcome) => outcome,
        Err(StoreFailed) => return Begin::Reply(Reply::store_failed()),
    };
    // A session loaded from the store while the guarded store never saw a
    // call: the session layer uses another store (asked until it has).
    if let Some(mistake) = store_mistake(
        shared.store.was_used(),
        exchange.loaded_from_store(&session),
    ) {
        return Begin::Reply(mistake.reply(framework));
    }
    // The application's signed-in key, read only for a session without stamps.
    let signed_in = match shared.signed_in_key {
        _ if user_before.is_some() => true,
        Some(key) if outcome == RequestOutcome::Untracked => {
            // Each rare path is boxed in a `let` of its own: boxed in the
            // `await`'s statement, the unboxed future would keep a place in
            // this one all the same (a temporary lives to the statement's end).
            let holds_user = Box::pin(session.holds_user(key));
            match holds_user.await {
                Ok(signed_in) => signed_in,
                Err(StoreFailed) => return Begin::Reply(Reply::store_failed()),
            }
        }
        _ => false,
    };
    if starts_clocks_of_untracked_login(config, signed_in, &outcome) {
        // Signed in (an authentication crate, or the signed-in key) before the
        // clocks were started (before the integration was installed): now.
        let stamps = Stamps::at_login(now);
        outcome = config.check_request(Some(&stamps.encode()), now, activity);
        // The clocks, and the login indexed under its user.
        let written = Box::pin(async {
            session.write_stamps(&stamps).await?;
            index_login(&session, user_before.as_ref(), shared.signed_in_key).await
        });
        if written.await.is_err() {
            return Begin::Reply(Reply::store_failed());
        }
    }
    // LOGOUT_ON_TABS_CLOSED: read only when configured.
    if let Some(lease) = config.presence_lease_millis()
        && matches!(
            outcome,
            RequestOutcome::Active { .. } | RequestOutcome::Locked { .. }
        )
    {
        let present = Box::pin(keep_presence(&session, lease, now));
        match present.await {
            Ok(true) => {}
            Ok(false) => outcome = RequestOutcome::Expired(ExpiryReason::TabsClosed),
            Err(StoreFailed) => return Begin::Reply(Reply::store_failed()),
        }
    }
    let was_active = matches!(outcome, RequestOutcome::Active { .. });
    let mut message_lost = false;
    match outcome {
        // At most once per second per session: boxed, to keep this
        // request's future (allocated per request) small.
        RequestOutcome::Active {
            write: Some(stamps),
            ..
        } => {
            let written = Box::pin(session.write_stamps(&stamps));
            if written.await.is_err() {
                return Begin::Reply(Reply::store_failed());
            }
        }
        // Idle for LOCK_AFTER: refused, unless it may go on while locked.
        RequestOutcome::Locked { .. } => {
            if let Some(reply) = locked_reply(config, endpoint, activity, exchange.path(), |name| {
                exchange.header(name)
            }) {
                crate::audit::locked_request();
                return Begin::Reply(reply);
            }
        }
        RequestOutcome::Expired(reason) => {
            let logged_out = Box::pin(log_out(shared, exchange, &session, reason, endpoint, now));
            match logged_out.await {
                Ok(LoggedOut::Answer(answer)) => return answer,
                Ok(LoggedOut::GoOn { lost }) => message_lost = lost,
                Err(StoreFailed) => return Begin::Reply(Reply::store_failed()),
            }
        }
        _ => {}
    }
    if let Some(endpoint) = endpoint {
        if endpoint.takes_password() && outcome != RequestOutcome::Untracked {
            // Rare: boxed, like the other rare paths.
            let checked = Box::pin(check_password(shared, exchange, &session, endpoint, now));
            return match checked.await {
                Ok(answer) => answer,
                Err(StoreFailed) => Begin::Reply(Reply::store_failed()),
            };
        }
        return Begin::Reply(Reply::endpoint(&outcome));
    }
    let shows_message = matches!(outcome, RequestOutcome::Expired(_))
        && page_shows_expiry_message(config, exchange.path());
    Begin::Continue(Pending {
        state: RequestState {
            shared: shared.clone(),
            now,
            outcome,
            shows_message,
        },
        session,
        activity,
        user_before,
        was_active,
        messages_before,
        message_lost,
    })
}

/// The password endpoints (`unlock`, `reauthenticate`) of a signed-in or
/// locked session: the application's `on_unlock` hook checks the password;
/// a right one starts the idle clock (unlock) or both clocks
/// (re-authentication) again and gives the session a new id, its data
/// kept; `UNLOCK_ATTEMPTS` wrong ones in a row end the session (reason
/// `unlock_failed`). A hook that fails or hangs is no wrong password: `503`.
async fn check_password<X: Exchange>(
    shared: &Shared<IntegrationOf<X>>,
    exchange: &mut X,
    session: &X::Session,
    endpoint: Endpoint,
    now: Timestamp,
) -> Result<Begin<X::Response, X::Session>, StoreFailed> {
    let reauthenticate = endpoint == Endpoint::Reauthenticate;
    let Some(hook) = &shared.on_unlock else {
        return Ok(Begin::Reply(super::no_unlock_hook_reply()));
    };
    let Some(password) = exchange.form().and_then(super::password_of) else {
        return Ok(Begin::Reply(super::password_missing_reply()));
    };
    let config = &shared.config;
    let stamps = session
        .read_stamps(|stored| match stored {
            Stored::Text(text) => Stamps::decode(text).ok(),
            _ => None,
        })
        .await?;
    // Decided active or locked from these very stamps.
    let Some(mut stamps) = stamps else {
        return Ok(Begin::Reply(Reply::endpoint(&RequestOutcome::Untracked)));
    };
    let verdict = super::run_guarded("the on_unlock hook", shared.hook_timeout, || {
        exchange.call_unlock(hook, session, password, reauthenticate)
    })
    .await;
    match verdict {
        Err(error) => {
            crate::audit::unlock_hook_failed(&error);
            Ok(Begin::Reply(super::unlock_unavailable_reply()))
        }
        Ok(true) => {
            if reauthenticate {
                stamps = Stamps::at_login(now)
                    .with_limits(stamps.idle_limit_millis(), stamps.session_limit_millis())
                    .unwrap_or(Stamps::at_login(now));
            } else {
                stamps.record_activity(now, 1);
            }
            session.renew_id().await?;
            session.write_stamps(&stamps).await?;
            crate::audit::unlocked(reauthenticate);
            let outcome = config.check_request(Some(&stamps.encode()), now, Activity::Passive);
            Ok(Begin::Reply(Reply::endpoint(&outcome)))
        }
        Ok(false) => {
            let stored = session.read_text(super::UNLOCK_KEY).await?;
            let lock_began = stamps.last_activity_at();
            let failures = super::failures_so_far(stored.as_deref(), lock_began) + 1;
            let allowed = config.unlock_attempts();
            crate::audit::unlock_refused(failures, allowed);
            if failures < allowed {
                let count = super::failures_text(lock_began, failures);
                session.write_text(super::UNLOCK_KEY, count).await?;
                return Ok(Begin::Reply(super::wrong_password_reply(
                    allowed - failures,
                )));
            }
            let reason = ExpiryReason::UnlockFailed;
            Ok(
                match log_out(shared, exchange, session, reason, Some(endpoint), now).await? {
                    LoggedOut::Answer(answer) => answer,
                    // An endpoint is always answered.
                    LoggedOut::GoOn { .. } => {
                        Begin::Reply(Reply::endpoint(&RequestOutcome::Expired(reason)))
                    }
                },
            )
        }
    }
}

/// Renews the session's presence lease (`LOGOUT_ON_TABS_CLOSED`) when due:
/// `false` when no tab renewed it for the whole lease (the session ends).
async fn keep_presence<S: SessionIo>(
    session: &S,
    lease_millis: i64,
    now: Timestamp,
) -> Result<bool, StoreFailed> {
    let stored = session.read_text(super::PRESENCE_KEY).await?;
    match super::presence_at(stored.as_deref(), now, lease_millis) {
        super::Presence::Held => Ok(true),
        super::Presence::Renew => {
            let renewed = now.as_unix_millis().to_string();
            session.write_text(super::PRESENCE_KEY, renewed).await?;
            Ok(true)
        }
        // Its `logout` event is written where the session ends.
        super::Presence::Gone => Ok(false),
    }
}

/// The decision for what the session holds under the crate's key.
fn decide(
    config: &Config,
    stored: Stored<'_>,
    now: Timestamp,
    activity: Activity,
) -> RequestOutcome {
    match stored {
        Stored::Missing => RequestOutcome::Untracked,
        Stored::Text(stamps) => config.check_request(Some(stamps), now, activity),
        // Something else under our key: not ours to trust (fail closed).
        Stored::Other => config.check_request(Some(""), now, activity),
        // A record the store cannot decode: fail closed, flush it.
        Stored::Unreadable => {
            crate::audit::unreadable_session();
            RequestOutcome::Expired(ExpiryReason::Invalid)
        }
    }
}

enum LoggedOut<X: Exchange> {
    /// The request is answered now.
    Answer(Begin<X::Response, X::Session>),
    /// The request goes on as anonymous (the login page shows the message);
    /// `lost`: the message could not be flashed.
    GoOn { lost: bool },
}

/// Logs the session out for `reason`: the application's hook first (it sees
/// the session as it is) when this request ended the session, then the end,
/// the message, and the answer.
async fn log_out<X: Exchange>(
    shared: &Shared<IntegrationOf<X>>,
    exchange: &mut X,
    session: &X::Session,
    reason: ExpiryReason,
    endpoint: Option<Endpoint>,
    now: Timestamp,
) -> Result<LoggedOut<X>, StoreFailed> {
    let framework = <IntegrationOf<X> as Integration>::FRAMEWORK;
    let config = &shared.config;
    // Only the request whose delete removed the record runs the hook and
    // writes the `logout` event: once per logout, however many requests (on
    // however many instances, with the Redis store) find the session
    // expired, and never for a session the sweeper or a revocation ended.
    let ended_here = exchange.end_once(session, &shared.store).await?;
    if ended_here && crate::audit::logouts_listened() {
        let stamps = session
            .read_stamps(|stored| match stored {
                Stored::Text(text) => Stamps::decode(text).ok(),
                _ => None,
            })
            .await?;
        if let Some(stamps) = stamps {
            crate::audit::logout_at(reason, &stamps, now);
        }
    }
    let replaced = match &shared.on_logout {
        Some(hook) if ended_here => {
            run_hook(reason, shared.hook_timeout, || {
                exchange.call_hook(hook, reason, session)
            })
            .await
        }
        _ => None,
    };
    // Whatever the hook did: the session ends.
    session.end().await?;
    // The login page shows this request's message itself
    // (`AutoLogoutContext::expiry_message`); every other page's is flashed.
    let mut lost = false;
    if let Some(message) = config.message_for(reason)
        && !page_shows_expiry_message(config, exchange.path())
        && !exchange.flash(session, message).await?
    {
        // No flash-message layer before ours: the message is lost. Said
        // here, whatever the answer (once per request).
        Mistake::MessagesNotOutside.report(framework);
        lost = true;
    }
    if let Some(auth) = &shared.auth {
        exchange.log_out_user(auth);
    }
    if let Some(mut response) = replaced {
        let (status, location) = X::hook_response_parts(&response);
        match hook_answer(reason, endpoint, status, location, |name| {
            exchange.header(name)
        }) {
            HookAnswer::AsIs => {
                X::default_cache_control(&mut response, super::NO_STORE);
                return Ok(LoggedOut::Answer(Begin::HookResponse(response)));
            }
            HookAnswer::Reply(reply) => return Ok(LoggedOut::Answer(Begin::Reply(reply))),
            HookAnswer::Usual => {}
        }
    }
    if endpoint.is_some() {
        let outcome = RequestOutcome::Expired(reason);
        return Ok(LoggedOut::Answer(Begin::Reply(Reply::endpoint(&outcome))));
    }
    let header = |name: &str| exchange.header(name);
    Ok(
        match expired_reply(
            config,
            reason,
            exchange.path(),
            exchange.path_and_query(),
            header,
        ) {
            Some(reply) => LoggedOut::Answer(Begin::Reply(reply)),
            None => LoggedOut::GoOn { lost },
        },
    )
}

/// What the integration does to the application's answer after [`finish`].
pub(crate) enum Finish {
    /// Keep it; add `Cache-Control: value` when given.
    Keep { cache_control: Option<&'static str> },
    /// Replace it (a mistake in the middleware order).
    Replace(Reply),
}

/// The rules after the application answered: the order of the flash-message
/// layer (`messages_after`: it is in the request now) and the page's caching
/// (`has_cache_control`: the handler chose its own). Then, unless the answer
/// is replaced, the integration awaits [`after_change`] when it has work.
pub(crate) fn finish<S: SessionIo>(
    pending: &Pending<S>,
    messages_after: bool,
    has_cache_control: bool,
) -> Finish {
    let framework = <S::Integration as Integration>::FRAMEWORK;
    let config = &pending.state.shared.config;
    if let Some(mistake) = messages_mistake(
        messages_configured(config),
        pending.messages_before,
        messages_after,
    ) {
        // Logged already when this request lost its message.
        let reply = if pending.message_lost {
            Reply::misconfigured(mistake.fix(framework))
        } else {
            mistake.reply(framework)
        };
        return Finish::Replace(reply);
    }
    Finish::Keep {
        cache_control: page_cache_control(
            &pending.state.outcome,
            pending.activity,
            has_cache_control,
        ),
    }
}

/// The work at the end of a request that changed the session, if any: a
/// login through an authentication crate, or one that forgot
/// `AutoLogout::login` in a session without stamps when the request began
/// (nothing to do for an active one). Apart from [`finish`] so the
/// integration can box it: it is rare, and the request's future stays small.
pub(crate) fn after_change<S: SessionIo>(
    pending: &Pending<S>,
) -> Option<std::pin::Pin<Box<impl Future<Output = ()> + '_>>> {
    let shared = &*pending.state.shared;
    let worth_it = pending.session.changed()
        && (shared.auth.is_some()
            || (!pending.was_active
                && (shared.signed_in_key.is_some()
                    || shared
                        .watch
                        .worth_a_look(&shared.config, shared.auth.is_some()))));
    worth_it.then(|| Box::pin(start_clocks_after_change(pending)))
}

/// A login the integration saw (an authentication crate's, or the
/// signed-in key's) is indexed under its user, as `AutoLogout::sign_in`
/// does, unless the application already signed it in: the owner written,
/// and the session id renewed, so the store indexes it when it writes the
/// record under the new id (and a fixated id is worth nothing).
async fn index_login<S: SessionIo>(
    session: &S,
    user: Option<&S::User>,
    signed_in_key: Option<&'static str>,
) -> Result<(), StoreFailed> {
    let user = match (user, signed_in_key) {
        (Some(user), _) => S::user_text(user),
        (None, Some(key)) => match session.signed_in_text(key).await {
            Some(user) => user,
            None => return Ok(()),
        },
        (None, None) => return Ok(()),
    };
    if session
        .read_text(crate::sessions::OWNER_KEY)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let owner = crate::SignIn::user(user).owner();
    session
        .write_text(crate::sessions::OWNER_KEY, owner.to_json())
        .await?;
    session.renew_id().await
}

/// Whether an automatic logout may flash a message: one is configured for a
/// reason (`invalid` stamps get the general `MESSAGE`).
fn messages_configured(config: &Config) -> bool {
    config.message_for(ExpiryReason::Idle).is_some()
        || config.message_for(ExpiryReason::Session).is_some()
}

/// At the end of a request that changed the session: the login of an
/// authentication crate (a different user now) starts the clocks; then, for
/// a session that had no stamps when the request began, a signed-in key
/// starts them ([`starts_clocks_at_end`]), and without any way to start them
/// the integration warns once when the session holds data but no stamps.
async fn start_clocks_after_change<S: SessionIo>(pending: &Pending<S>) {
    let shared = &*pending.state.shared;
    let session = &pending.session;
    let now = pending.state.now;
    if let Some(auth) = &shared.auth {
        let after = session.user_now(auth).await;
        if signed_in_during_request(pending.user_before.as_ref(), after.as_ref()) {
            let _ = session.write_stamps(&Stamps::at_login(now)).await;
            let _ = index_login(session, after.as_ref(), None).await;
        }
    }
    if pending.was_active
        || !(shared.signed_in_key.is_some()
            || shared
                .watch
                .worth_a_look(&shared.config, shared.auth.is_some()))
    {
        return;
    }
    let has_stamps = session.has_stamps().await;
    match shared.signed_in_key {
        Some(key) => {
            let signed_in = session.holds_user(key).await.unwrap_or(false);
            if starts_clocks_at_end(&shared.config, false, signed_in, has_stamps) {
                let _ = session.write_stamps(&Stamps::at_login(now)).await;
                let _ = index_login(session, None, Some(key)).await;
            }
        }
        None if !has_stamps && session.holds_data().await => shared.watch.report(),
        None => {}
    }
}
