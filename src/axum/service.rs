//! [`AutoLogoutService`]: the per-request work of the layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use http::{HeaderMap, Request, Response, header};
use serde_json::Value;
use tower_service::Service;
use tower_sessions::session;
use tower_sessions::{Session, session_store};

use super::extract::RequestState;
use super::response::into_response;
use super::{AuthHook, LogoutEvent, Shared};
use crate::clock::Timestamp;
use crate::decision::{ExpiryReason, RequestOutcome};
use crate::engine::{self, Endpoint, Framework, HookAnswer, Reply, Route};
use crate::request;
use crate::stamps::Stamps;

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
    B: Send + 'static,
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

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// [`header_str`] for the names every request is asked about, without
/// parsing the name each time.
fn passive_header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    const PASSIVE: header::HeaderName = header::HeaderName::from_static(request::PASSIVE_HEADER);
    const SEC_PURPOSE: header::HeaderName = header::HeaderName::from_static("sec-purpose");
    const PURPOSE: header::HeaderName = header::HeaderName::from_static("purpose");
    const SEC_FETCH_DEST: header::HeaderName = header::HeaderName::from_static("sec-fetch-dest");
    let value = match name {
        request::PASSIVE_HEADER => headers.get(PASSIVE),
        "sec-purpose" => headers.get(SEC_PURPOSE),
        "purpose" => headers.get(PURPOSE),
        "sec-fetch-dest" => headers.get(SEC_FETCH_DEST),
        other => headers.get(other),
    };
    value.and_then(|v| v.to_str().ok())
}

async fn run<S, B, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    mut req: Request<B>,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<String> + From<&'static str> + From<Body>,
{
    // In the scrutinee, so the route does not live on in the request's future.
    let endpoint = match engine::route(
        &shared.endpoints,
        req.method().as_str(),
        req.uri().path(),
        |name| header_str(req.headers(), name),
    ) {
        Route::Reply(reply) => return Ok(into_response(reply)),
        Route::Continue(endpoint) => endpoint,
    };
    // SessionManagerLayer must have run before this layer (the rule and its
    // text are the core's, for both stacks; answered and logged).
    let session = match engine::session_layer_ran(req.extensions().get::<Session>().cloned()) {
        Ok(session) => session,
        Err(mistake) => return Ok(into_response(mistake.reply(Framework::Axum))),
    };

    // One `now` for the whole request.
    let now = shared.clock.now();
    let config = &shared.config;
    let activity = engine::activity_of(
        config,
        endpoint,
        req.method().as_str(),
        req.uri().path(),
        |name| passive_header_str(req.headers(), name),
    );
    let auth_user = match &shared.auth {
        Some(hook) => hook.user_id(req.extensions()),
        None => None,
    };
    let mut outcome = match session.get_value(Stamps::SESSION_KEY).await {
        Ok(None) => RequestOutcome::Untracked,
        Ok(Some(Value::String(stored))) => config.check_request(Some(&stored), now, activity),
        // Something else under our key: not ours to trust (fail closed).
        Ok(Some(_)) => config.check_request(Some(""), now, activity),
        // A record the store cannot decode: fail closed, flush it.
        Err(session::Error::Store(session_store::Error::Decode(_)))
        | Err(session::Error::SerdeJson(_)) => {
            crate::audit::unreadable_session();
            RequestOutcome::Expired(ExpiryReason::Invalid)
        }
        Err(_) => return Ok(into_response(Reply::store_failed())),
    };
    // A session with an id was loaded from the store: when the wrapper never
    // saw a call, the session layer uses another store (checked until it has).
    if let Some(mistake) = engine::store_mistake(shared.store.was_used(), session.id().is_some()) {
        return Ok(into_response(mistake.reply(Framework::Axum)));
    }

    // The application's signed-in key, read only for a session without stamps.
    let signed_in = match shared.signed_in_key {
        _ if auth_user.is_some() => true,
        Some(key) if outcome == RequestOutcome::Untracked => {
            match Box::pin(session.get_value(key)).await {
                Ok(value) => engine::holds_signed_in_user(value.as_ref()),
                Err(_) => return Ok(into_response(Reply::store_failed())),
            }
        }
        _ => false,
    };
    if engine::starts_clocks_of_untracked_login(config, signed_in, &outcome) {
        // Signed in (axum-login, or the signed-in key), but not tracked yet
        // (signed in before the layer was installed): the clocks start now.
        let stamps = Stamps::at_login(now).encode();
        outcome = config.check_request(Some(&stamps), now, activity);
        if Box::pin(session.insert_value(Stamps::SESSION_KEY, Value::String(stamps)))
            .await
            .is_err()
        {
            return Ok(into_response(Reply::store_failed()));
        }
    }
    let was_active = matches!(outcome, RequestOutcome::Active { .. });
    match outcome {
        RequestOutcome::Active {
            write: Some(stamps),
            ..
        } => {
            let value = Value::String(stamps.encode());
            // At most once per second per session: boxed, to keep this
            // request's future (allocated per request) small.
            if Box::pin(session.insert_value(Stamps::SESSION_KEY, value))
                .await
                .is_err()
            {
                return Ok(into_response(Reply::store_failed()));
            }
        }
        RequestOutcome::Expired(reason) => {
            match Box::pin(log_out(&shared, &session, &mut req, reason, endpoint)).await {
                Ok(Some(answer)) => return Ok(answer),
                Ok(None) => {}
                Err(_) => return Ok(into_response(Reply::store_failed())),
            }
        }
        _ => {}
    }
    if endpoint.is_some() {
        return Ok(into_response(Reply::endpoint(&outcome)));
    }

    let shows_message = matches!(outcome, RequestOutcome::Expired(_))
        && engine::page_shows_expiry_message(config, req.uri().path());
    req.extensions_mut().insert(RequestState {
        shared: shared.clone(),
        now,
        outcome,
        shows_message,
    });
    let mut res = inner.call(req).await?;
    // A page of a tracked session: not kept by the browser's cache, so Back
    // after signing out does not show it (unless the handler chose).
    let own = res.headers().contains_key(header::CACHE_CONTROL);
    if let Some(value) = engine::page_cache_control(&outcome, activity, own) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
    // A changed session: a login through axum-login, or one that forgot
    // `AutoLogout::login` in a session without stamps when the request
    // began (nothing to do for an active one).
    if session.is_modified()
        && (shared.auth.is_some()
            || (!was_active
                && (shared.signed_in_key.is_some()
                    || shared
                        .watch
                        .worth_a_look(&shared.config, shared.auth.is_some()))))
    {
        Box::pin(after_request(&shared, &session, auth_user, was_active, now)).await;
    }
    Ok(res)
}

/// Logs the session out for `reason`: the application's hook first (it sees
/// the session as it is), then the flush, the message, and the answer when
/// the integration gives one (`None`: the request goes on as anonymous).
/// `Err` when the store failed.
async fn log_out<B, ResBody>(
    shared: &Shared,
    session: &Session,
    req: &mut Request<B>,
    reason: ExpiryReason,
    endpoint: Option<Endpoint>,
) -> Result<Option<Response<ResBody>>, session::Error>
where
    ResBody: From<String> + From<&'static str> + From<Body>,
{
    let config = &shared.config;
    // Only the request whose delete removed the record runs the hook: once
    // per logout, however many requests (on however many instances, with
    // the Redis store) find the session expired.
    let ended_here = match session.id() {
        Some(id) => match shared.store.end_once(&id.to_string()).await {
            Ok(ended_here) => ended_here,
            Err(text) => return Err(session::Error::Store(session_store::Error::Backend(text))),
        },
        None => true,
    };
    let replaced = match &shared.on_logout {
        Some(hook) if ended_here => {
            let event = LogoutEvent {
                reason,
                session: session.clone(),
                method: req.method().clone(),
                uri: req.uri().clone(),
                headers: req.headers().clone(),
            };
            engine::run_hook(reason, engine::LOGOUT_HOOK_TIMEOUT, || hook(event)).await
        }
        _ => None,
    };
    // Whatever the hook did: the session ends.
    end_session(session).await?;
    // The login page shows this request's message itself
    // (`AutoLogoutContext::expiry_message`); every other page's is flashed.
    if let Some(message) = config.message_for(reason)
        && !engine::page_shows_expiry_message(config, req.uri().path())
    {
        if let Some(messages) = req.extensions().get::<axum_messages::Messages>() {
            // MessagesManagerLayer runs outside this layer: it saves
            // its queue into the session at the end of the request.
            let _ = messages.clone().info(message);
        } else {
            queue_message(session, message).await?;
        }
    }
    if let Some(hook) = &shared.auth {
        hook.log_out(req.extensions_mut());
    }

    let header = |name: &str| header_str(req.headers(), name);
    if let Some(response) = replaced {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        let status = response.status().as_u16();
        match engine::hook_answer(reason, endpoint, status, location, header) {
            HookAnswer::AsIs => {
                let mut response = response.map(ResBody::from);
                let own = response.headers().contains_key(header::CACHE_CONTROL);
                if let Some(value) = engine::hook_cache_control(own) {
                    response.headers_mut().insert(
                        header::CACHE_CONTROL,
                        header::HeaderValue::from_static(value),
                    );
                }
                return Ok(Some(response));
            }
            HookAnswer::Reply(reply) => return Ok(Some(into_response(reply))),
            HookAnswer::Usual => {}
        }
    }
    if endpoint.is_some() {
        let outcome = RequestOutcome::Expired(reason);
        return Ok(Some(into_response(Reply::endpoint(&outcome))));
    }
    let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    Ok(
        engine::expired_reply(config, reason, req.uri().path(), path_and_query, header)
            .map(into_response),
    )
}

/// At the end of a request that changed the session: the logins of an
/// authentication crate ([`start_clocks_at_login`]), then, for a session
/// that had no stamps when the request began, [`after_untracked`].
async fn after_request(
    shared: &Shared,
    session: &Session,
    auth_user: Option<Value>,
    was_active: bool,
    now: Timestamp,
) {
    if let Some(hook) = &shared.auth {
        start_clocks_at_login(&**hook, session, auth_user, now).await;
    }
    if !was_active
        && (shared.signed_in_key.is_some()
            || shared
                .watch
                .worth_a_look(&shared.config, shared.auth.is_some()))
    {
        after_untracked(shared, session, now).await;
    }
}

/// At the end of a request whose session had no stamps when it began and
/// changed: with a signed-in key, start the clocks of a session that holds
/// it ([`engine::starts_clocks_at_end`]); without any way to start them,
/// warn once when the session holds data but no stamps.
async fn after_untracked(shared: &Shared, session: &Session, now: Timestamp) {
    let has_stamps = matches!(session.get_value(Stamps::SESSION_KEY).await, Ok(Some(_)));
    match shared.signed_in_key {
        Some(key) => {
            let signed_in = match session.get_value(key).await {
                Ok(value) => engine::holds_signed_in_user(value.as_ref()),
                Err(_) => false,
            };
            if engine::starts_clocks_at_end(&shared.config, false, signed_in, has_stamps) {
                let stamps = Stamps::at_login(now).encode();
                let _ = session
                    .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
                    .await;
            }
        }
        None if !has_stamps => {
            // Flash messages alone are no sign of a login: look past them
            // (taken out and put back; this runs until the first report).
            let messages = session.remove_value(MESSAGES_KEY).await.ok().flatten();
            let holds_data = !session.is_empty().await;
            if let Some(messages) = messages {
                let _ = session.insert_value(MESSAGES_KEY, messages).await;
            }
            if holds_data {
                shared.watch.report();
            }
        }
        None => {}
    }
}

/// After a request that changed the session: when an authentication crate
/// signed a (different) user in, start the session's clocks.
async fn start_clocks_at_login(
    hook: &dyn AuthHook,
    session: &Session,
    before: Option<Value>,
    now: Timestamp,
) {
    let Ok(Some(data)) = session.get_value(hook.data_key()).await else {
        return;
    };
    let after = data.get("user_id").filter(|id| !id.is_null());
    if engine::signed_in_during_request(before.as_ref(), after) {
        let stamps = Stamps::at_login(now).encode();
        let _ = session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
            .await;
    }
}

/// Flush, then give the (empty) record a new id: tower-sessions' `flush`
/// keeps the record's id, so data inserted after it (the flash message)
/// would be saved under the old id again. A session that was never stored
/// (no id) has nothing to delete: it is only emptied, and no store call is made.
pub(super) async fn end_session(session: &Session) -> Result<(), session::Error> {
    if session.id().is_none() {
        session.clear().await;
        return Ok(());
    }
    session.flush().await?;
    session.cycle_id().await
}

/// The session key axum-messages 0.8 keeps its queue under.
const MESSAGES_KEY: &str = "axum-messages.data";

/// Queues `message` at info level in the session the way axum-messages 0.8
/// stores its own queue, for the recommended layer order, where
/// `MessagesManagerLayer` runs inside this layer and its `Messages` is not
/// in the request yet: that layer reads the queue from the session when the
/// request reaches it, so this page or the next one shows the message.
///
/// axum-messages keeps the queue's shape private: a JSON object with
/// `pending_messages` and `messages`, both lists of its public `Message`
/// (`{"l":"Info","m":..,"d":null}`). This is the only place that knows it;
/// the tests read a message queued here through the real `Messages`
/// extractor, so a change of that format fails them. Messages already
/// pending are kept.
pub(super) async fn queue_message(session: &Session, message: &str) -> Result<(), session::Error> {
    let entry = serde_json::to_value(axum_messages::Message {
        level: axum_messages::Level::Info,
        message: message.to_owned(),
        metadata: None,
    })?;
    let mut data = match session.get_value(MESSAGES_KEY).await? {
        Some(Value::Object(data)) => data,
        _ => serde_json::Map::new(),
    };
    match data.get_mut("pending_messages") {
        Some(Value::Array(pending)) => pending.push(entry),
        _ => {
            data.insert("pending_messages".to_owned(), Value::Array(vec![entry]));
        }
    }
    if !matches!(data.get("messages"), Some(Value::Array(_))) {
        data.insert("messages".to_owned(), Value::Array(Vec::new()));
    }
    session
        .insert_value(MESSAGES_KEY, Value::Object(data))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::Router;
    use axum::routing::get;
    use axum_messages::{Messages, MessagesManagerLayer};
    use http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    use super::queue_message;

    /// The size of the request future before the layer used the request engine
    /// (a debug build, as the tests run), and 16 bytes for the session's own
    /// limits in the stamps a request may write.
    const FUTURE_BYTES_AT_MOST: usize = 960 + 16;

    /// `GET path` with the session cookie `id`; the body and the new cookie.
    async fn visit(app: &Router, path: &str, id: Option<&str>) -> (String, Option<String>) {
        let mut req = Request::get(path);
        if let Some(id) = id {
            req = req.header(header::COOKIE, format!("id={id}"));
        }
        let res = app
            .clone()
            .oneshot(req.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("id="))
            .map(|v| v.split(';').next().unwrap().to_owned());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (String::from_utf8(body.to_vec()).unwrap(), cookie)
    }

    /// What `queue_message` writes is what axum-messages 0.8 reads: a message
    /// queued here comes out of the real `Messages` extractor, after one the
    /// app pushed itself, and only once. Fails when axum-messages changes the
    /// format it stores.
    #[tokio::test]
    async fn a_queued_message_is_read_by_axum_messages() {
        let store = MemoryStore::default();
        let app = Router::new()
            .route(
                "/push",
                get(|messages: Messages| async move {
                    let _ = messages.success("saved");
                    "pushed"
                }),
            )
            .route(
                "/show",
                get(|messages: Messages| async move {
                    messages
                        .map(|m| format!("{}:{}", m.level, m.message))
                        .collect::<Vec<_>>()
                        .join("|")
                }),
            )
            .layer(MessagesManagerLayer)
            .layer(SessionManagerLayer::new(store.clone()));

        let (_, cookie) = visit(&app, "/push", None).await;
        let id = cookie.expect("a session was created");
        let session = Session::new(Some(id.parse().unwrap()), Arc::new(store.clone()), None);
        queue_message(&session, "The session has expired.")
            .await
            .unwrap();
        session.save().await.unwrap();

        let (shown, _) = visit(&app, "/show", Some(&id)).await;
        assert_eq!(shown, "Success:saved|Info:The session has expired.");
        let (again, _) = visit(&app, "/show", Some(&id)).await;
        assert_eq!(again, "", "shown once");

        // Into a session that has no queue yet.
        let fresh = Session::new(None, Arc::new(store.clone()), None);
        queue_message(&fresh, "idle").await.unwrap();
        fresh.save().await.unwrap();
        let id = fresh.id().unwrap().to_string();
        assert_eq!(visit(&app, "/show", Some(&id)).await.0, "Info:idle");
    }

    /// The future of one request is allocated per request: its own state stays
    /// small (the rare paths — writes, logouts, messages — are boxed apart).
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
    }
}
