//! The engine's [`Reply`] as an actix-web response.

use std::borrow::Cow;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};

use crate::engine::Reply;

/// Writes `reply` as an [`HttpResponse`]: status, headers, body.
pub(super) fn into_response(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    for (name, value) in reply.headers.iter() {
        let value = match value {
            Cow::Borrowed(text) => HeaderValue::from_static(text),
            Cow::Owned(text) => match HeaderValue::from_str(text) {
                Ok(value) => value,
                // The engine's owned values are same-site paths: never here.
                Err(_) => HeaderValue::from_static("/"),
            },
        };
        res.insert_header((HeaderName::from_static(name), value));
    }
    match reply.body {
        Cow::Borrowed(text) => res.body(text),
        Cow::Owned(text) => res.body(text),
    }
}
