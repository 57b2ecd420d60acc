//! Mistakes in how an application put the crate together: [`Mistake`]
//! and the rules that find them, written once for every integration.

use super::*;

/// A mistake in how the application put the crate together, found while
/// serving a request. Never silent: the request gets [`Mistake::reply`] — a
/// `500` whose body is [`Mistake::fix`] — and the same text goes to the log
/// at error level (the audit event `setup_mistake`, feature `tracing`).
///
/// The rules are written here once, for every integration:
/// [`session_layer_ran`], [`store_mistake`], [`messages_mistake`].
///
/// ```
/// use auto_logout::engine::{Framework, Mistake, session_layer_ran};
///
/// // The request holds no session: the session layer runs inside ours, or not at all.
/// let mistake = session_layer_ran(None::<()>).unwrap_err();
/// assert_eq!(mistake, Mistake::SessionLayerNotOutside);
/// let reply = mistake.reply(Framework::Actix);
/// assert_eq!(reply.status, 500);
/// assert!(reply.body.contains(".wrap(SessionMiddleware::new(store, key))"));
/// assert_eq!(session_layer_ran(Some("the session")), Ok("the session"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mistake {
    /// The session layer did not run before the crate's: it is inside it, or
    /// missing. No session could be read, so nobody would ever be logged out.
    SessionLayerNotOutside,
    /// The session layer was given a store other than the one given to the
    /// crate, so a logout would not stay final.
    StoreNotWrapped,
    /// actix-web: `FlashMessagesFramework` runs inside `AutoLogoutMiddleware`
    /// (or not at all) while a message is configured, so the expiry message
    /// would be lost. (On axum the layer queues the message in the session
    /// when `MessagesManagerLayer` is inside it, so both orders work there.)
    MessagesNotOutside,
}

impl Mistake {
    /// A short name, the `mistake` field of the log event.
    pub const fn name(self) -> &'static str {
        match self {
            Mistake::SessionLayerNotOutside => "session_layer_not_outside",
            Mistake::StoreNotWrapped => "store_not_wrapped",
            Mistake::MessagesNotOutside => "messages_not_outside",
        }
    }

    /// What is wrong and what to change, in `framework`'s terms: the body of
    /// [`Mistake::reply`] and the text of the log line.
    pub const fn fix(self, framework: Framework) -> &'static str {
        match (self, framework) {
            (Mistake::SessionLayerNotOutside, Framework::Axum) => AXUM_SESSION_LAYER_NOT_OUTSIDE,
            (Mistake::SessionLayerNotOutside, Framework::Actix) => ACTIX_SESSION_LAYER_NOT_OUTSIDE,
            (Mistake::StoreNotWrapped, Framework::Axum) => AXUM_STORE_NOT_WRAPPED,
            (Mistake::StoreNotWrapped, Framework::Actix) => ACTIX_STORE_NOT_WRAPPED,
            (Mistake::MessagesNotOutside, Framework::Axum) => AXUM_MESSAGES_NOT_OUTSIDE,
            (Mistake::MessagesNotOutside, Framework::Actix) => ACTIX_MESSAGES_NOT_OUTSIDE,
        }
    }

    /// Logs the mistake at error level (audit event `setup_mistake`, with the
    /// feature `tracing`; nothing is printed without it), without answering:
    /// for a mistake that loses a message but leaves the page servable.
    pub fn report(self, framework: Framework) {
        crate::audit::setup_mistake(self.name(), self.fix(framework));
    }

    /// Logs the mistake ([`Mistake::report`]) and gives the answer to the
    /// request instead of a page: `500`, `no-store`, the [`Mistake::fix`] as
    /// plain text.
    pub fn reply(self, framework: Framework) -> Reply {
        self.report(framework);
        Reply::misconfigured(self.fix(framework))
    }
}

/// The rule at the start of every request: the session layer must have run
/// before the crate's, so its session is in the request — `session`, as the
/// integration found it (`None`: not there).
pub fn session_layer_ran<T>(session: Option<T>) -> Result<T, Mistake> {
    session.ok_or(Mistake::SessionLayerNotOutside)
}

/// The rule once the session is read: a session loaded from the store
/// (`session_loaded`) while the store given to the crate was never called
/// (`store_used`) came through another store.
pub const fn store_mistake(store_used: bool, session_loaded: bool) -> Option<Mistake> {
    if session_loaded && !store_used {
        Some(Mistake::StoreNotWrapped)
    } else {
        None
    }
}

/// The rule for the messages middleware, when the crate depends on it to show
/// a message (`message_configured`): it must have run before the crate's
/// (`before`: its store is in the request when the crate sees it). `after`:
/// it is in the request once the app answered, so it ran inside the crate's.
/// A message that could not be flashed with the middleware missing altogether
/// (neither before nor after) is [reported](Mistake::report) where it is lost.
pub const fn messages_mistake(
    message_configured: bool,
    before: bool,
    after: bool,
) -> Option<Mistake> {
    if message_configured && !before && after {
        Some(Mistake::MessagesNotOutside)
    } else {
        None
    }
}

const AXUM_SESSION_LAYER_NOT_OUTSIDE: &str = "auto-logout: no tower_sessions::Session in the \
request: SessionManagerLayer must run before AutoLogoutLayer, or no session is read and nobody is \
ever logged out. With Router::layer the last layer added runs first: \
.layer(MessagesManagerLayer).layer(AutoLogoutLayer::new(config, &store)).layer(SessionManagerLayer::new(store))";
const ACTIX_SESSION_LAYER_NOT_OUTSIDE: &str = "auto-logout: SessionMiddleware did not run before \
AutoLogoutMiddleware, so no session is read and nobody is ever logged out. The last .wrap runs \
first: .wrap(AutoLogoutMiddleware::new(config, &store)).wrap(FlashMessagesFramework::builder(..).build())\
.wrap(SessionMiddleware::new(store, key)).wrap(StoreErrors)";
const AXUM_STORE_NOT_WRAPPED: &str = "auto-logout: SessionManagerLayer does not use the \
AutoLogoutStore given to AutoLogoutLayer::new, so a logout would not stay final; give that store \
(or a clone of it) to SessionManagerLayer::new";
const ACTIX_STORE_NOT_WRAPPED: &str = "auto-logout: SessionMiddleware was given a session store \
that is not the AutoLogoutStore passed to AutoLogoutMiddleware::new; give both the same store (or \
a clone), so that a logout stays final";
const AXUM_MESSAGES_NOT_OUTSIDE: &str = "auto-logout: MessagesManagerLayer reads the session, so \
SessionManagerLayer must run before it. With Router::layer the last layer added runs first: \
.layer(MessagesManagerLayer).layer(AutoLogoutLayer::new(config, &store)).layer(SessionManagerLayer::new(store))";
const ACTIX_MESSAGES_NOT_OUTSIDE: &str = "auto-logout: FlashMessagesFramework did not run before \
AutoLogoutMiddleware, so the message of an automatic logout is lost. The last .wrap runs first: \
.wrap(AutoLogoutMiddleware::new(config, &store)).wrap(FlashMessagesFramework::builder(..).build())\
.wrap(SessionMiddleware::new(store, key))";
