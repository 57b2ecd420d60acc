//! The engine's [`Reply`] as an `http` response.

use std::borrow::Cow;

use http::header::{HeaderName, HeaderValue};
use http::{Response, StatusCode};

use crate::engine::Reply;

/// Writes `reply` as a [`Response`]: status, headers, body. The engine's
/// names and fixed values are static strs, taken as they are (no allocation);
/// only a computed `Location` is copied.
pub(super) fn into_response<ResBody>(reply: Reply) -> Response<ResBody>
where
    ResBody: From<String> + From<&'static str>,
{
    let body = match reply.body {
        Cow::Borrowed(text) => ResBody::from(text),
        Cow::Owned(text) => ResBody::from(text),
    };
    let mut res = Response::new(body);
    *res.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = res.headers_mut();
    for &(name, ref value) in reply.headers.iter() {
        let value = match value {
            Cow::Borrowed(text) => HeaderValue::from_static(text),
            // The engine's owned values are same-site paths: never the fallback.
            Cow::Owned(text) => {
                HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("/"))
            }
        };
        headers.insert(HeaderName::from_static(name), value);
    }
    res
}
