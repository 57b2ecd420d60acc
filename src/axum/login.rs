//! [axum-login] 0.18 glue: its logins start the clocks, an expiry clears its `AuthSession`.
//!
//! [axum-login]: https://docs.rs/axum-login/0.18

use std::marker::PhantomData;

use axum_login::{AuthSession, AuthUser, AuthnBackend};
use serde_json::Value;

use super::AuthHook;

pub(crate) struct Hook<B> {
    pub(crate) data_key: &'static str,
    pub(crate) backend: PhantomData<fn() -> B>,
}

impl<B: AuthnBackend + 'static> AuthHook for Hook<B> {
    fn user_id(&self, extensions: &http::Extensions) -> Option<Value> {
        let user = extensions.get::<AuthSession<B>>()?.user.as_ref()?;
        serde_json::to_value(user.id()).ok()
    }

    fn log_out(&self, extensions: &mut http::Extensions) {
        // axum-login clones its AuthSession out of the extensions for each
        // extractor: the copy there must say "nobody" from now on.
        if let Some(auth) = extensions.get_mut::<AuthSession<B>>() {
            auth.user = None;
        }
    }

    fn data_key(&self) -> &'static str {
        self.data_key
    }
}
