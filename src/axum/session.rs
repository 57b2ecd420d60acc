//! What the engine's flow reads and writes, over tower-sessions 0.14 and
//! axum-messages 0.8: the stamps in, the stamps out, the end of a session,
//! the flash message; and the request as the flow sees it.

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, header};
use serde_json::Value;
use tower_sessions::{Session, session, session_store};

use super::hook::Hook;
use super::{AuthHook, Axum, LogoutEvent};
use crate::decision::ExpiryReason;
use crate::engine::flow::{Exchange, SessionIo, StoreFailed, Stored};
use crate::engine::headers::RequestHeaders;
use crate::stamps::Stamps;
use crate::store_lock::StoreLink;

impl SessionIo for Session {
    type User = Value;
    type Integration = Axum;

    async fn read_stamps<R>(
        &self,
        read: impl FnOnce(Stored<'_>) -> R + Send,
    ) -> Result<R, StoreFailed> {
        Ok(match self.get_value(Stamps::SESSION_KEY).await {
            Ok(None) => read(Stored::Missing),
            Ok(Some(Value::String(stored))) => read(Stored::Text(&stored)),
            Ok(Some(_)) => read(Stored::Other),
            Err(session::Error::Store(session_store::Error::Decode(_)))
            | Err(session::Error::SerdeJson(_)) => read(Stored::Unreadable),
            Err(_) => return Err(StoreFailed),
        })
    }

    async fn write_stamps(&self, stamps: &Stamps) -> Result<(), StoreFailed> {
        self.insert_value(Stamps::SESSION_KEY, Value::String(stamps.encode()))
            .await
            .map(drop)
            .map_err(|_| StoreFailed)
    }

    async fn holds_user(&self, key: &'static str) -> Result<bool, StoreFailed> {
        match self.get_value(key).await {
            Ok(value) => Ok(crate::engine::holds_signed_in_user(value.as_ref())),
            Err(_) => Err(StoreFailed),
        }
    }

    async fn user_now(&self, auth: &Arc<dyn AuthHook>) -> Option<Value> {
        let data = self.get_value(auth.data_key()).await.ok().flatten()?;
        data.get("user_id").filter(|id| !id.is_null()).cloned()
    }

    async fn has_stamps(&self) -> bool {
        matches!(self.get_value(Stamps::SESSION_KEY).await, Ok(Some(_)))
    }

    async fn holds_data(&self) -> bool {
        // Flash messages alone are no sign of a login: look past them
        // (taken out and put back; this runs until the first report).
        let messages = self.remove_value(MESSAGES_KEY).await.ok().flatten();
        let holds_data = !self.is_empty().await;
        if let Some(messages) = messages {
            let _ = self.insert_value(MESSAGES_KEY, messages).await;
        }
        holds_data
    }

    fn changed(&self) -> bool {
        self.is_modified()
    }

    async fn end(&self) -> Result<(), StoreFailed> {
        end_session(self).await.map_err(|_| StoreFailed)
    }

    async fn read_text(&self, key: &'static str) -> Result<Option<String>, StoreFailed> {
        match self.get_value(key).await {
            Ok(Some(Value::String(text))) => Ok(Some(text)),
            Ok(_) => Ok(None),
            Err(_) => Err(StoreFailed),
        }
    }

    async fn write_text(&self, key: &'static str, value: String) -> Result<(), StoreFailed> {
        self.insert_value(key, Value::String(value))
            .await
            .map(drop)
            .map_err(|_| StoreFailed)
    }

    async fn renew_id(&self) -> Result<(), StoreFailed> {
        self.cycle_id().await.map_err(|_| StoreFailed)
    }

    fn user_text(user: &Value) -> String {
        match user {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    async fn signed_in_text(&self, key: &'static str) -> Option<String> {
        match self.get_value(key).await.ok().flatten()? {
            Value::Null => None,
            user => Some(Self::user_text(&user)),
        }
    }
}

/// One request through the layer, as the engine's flow sees it.
pub(super) struct AxumExchange<'r> {
    method: &'r http::Method,
    uri: &'r http::Uri,
    headers: &'r HeaderMap,
    /// The headers the rules read, found in one pass.
    read: RequestHeaders<'r>,
    extensions: &'r mut http::Extensions,
}

impl<'r> AxumExchange<'r> {
    /// The exchange of a request's head (its body need not be `Sync`).
    pub(super) fn new(head: &'r mut Parts) -> Self {
        let Parts {
            method,
            uri,
            headers,
            extensions,
            ..
        } = head;
        let read = RequestHeaders::read(
            headers.iter().map(|(name, value)| (name.as_str(), value)),
            |value| value.to_str().ok(),
        );
        AxumExchange {
            method,
            uri,
            headers,
            read,
            extensions,
        }
    }
}

impl Exchange for AxumExchange<'_> {
    type Session = Session;
    type Response = axum_core::response::Response;

    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.read.get(name)
    }

    fn find_session(&mut self) -> Option<Session> {
        self.extensions.get::<Session>().cloned()
    }

    fn loaded_from_store(&self, session: &Session) -> bool {
        session.id().is_some()
    }

    fn user_before(&self, _session: &Session, auth: &Arc<dyn AuthHook>) -> Option<Value> {
        auth.user_id(&*self.extensions)
    }

    fn messages_ready(&self) -> bool {
        // Without `Messages` in the request the message is queued in the
        // session, where MessagesManagerLayer finds it: both orders work.
        true
    }

    async fn end_once(&self, session: &Session, store: &StoreLink) -> Result<bool, StoreFailed> {
        match session.id() {
            Some(id) => store
                .end_once(&id.to_string())
                .await
                .map_err(|_| StoreFailed),
            None => Ok(true),
        }
    }

    #[allow(refining_impl_trait)]
    fn call_hook(
        &self,
        hook: &Hook,
        reason: ExpiryReason,
        session: &Session,
    ) -> super::hook::HookFuture {
        hook(LogoutEvent {
            reason,
            session: session.clone(),
            method: self.method.clone(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
        })
    }

    fn hook_response_parts(response: &Self::Response) -> (u16, Option<&str>) {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        (response.status().as_u16(), location)
    }

    fn default_cache_control(response: &mut Self::Response, value: &'static str) {
        if !response.headers().contains_key(header::CACHE_CONTROL) {
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static(value),
            );
        }
    }

    async fn flash(&self, session: &Session, message: &str) -> Result<bool, StoreFailed> {
        if let Some(messages) = self.extensions.get::<axum_messages::Messages>() {
            // MessagesManagerLayer runs outside this layer: it saves its
            // queue into the session at the end of the request.
            let _ = messages.clone().info(message);
        } else {
            queue_message(session, message)
                .await
                .map_err(|_| StoreFailed)?;
        }
        Ok(true)
    }

    fn log_out_user(&mut self, auth: &Arc<dyn AuthHook>) {
        auth.log_out(&mut *self.extensions);
    }

    fn form(&self) -> Option<&str> {
        self.extensions
            .get::<super::service::PasswordForm>()
            .map(|form| form.0.as_str())
    }

    #[allow(refining_impl_trait)]
    fn call_unlock(
        &self,
        hook: &super::hook::UnlockHook,
        session: &Session,
        password: String,
        reauthenticate: bool,
    ) -> super::hook::UnlockFuture {
        hook(super::UnlockAttempt {
            session: session.clone(),
            password,
            reauthenticate,
        })
    }
}

/// Flush, then give the (empty) record a new id: tower-sessions' `flush`
/// keeps the record's id, so data inserted after it (the flash message)
/// would be saved under the old id again. A session that was never stored
/// (no id) has nothing to delete: it is only emptied, and no store call is made.
pub(crate) async fn end_session(session: &Session) -> Result<(), session::Error> {
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
}
