//! The layer's own answers: endpoints, static files, expired requests.

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use super::service::header_str;
use crate::decision::ExpiryReason;
use crate::request::{self, Answer};

/// `Cache-Control` of every answer about a session.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// `Cache-Control` of the script file, whose name changes with its content.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(super) const JAVASCRIPT: HeaderValue =
    HeaderValue::from_static("text/javascript; charset=utf-8");
pub(super) const CSS: HeaderValue = HeaderValue::from_static("text/css; charset=utf-8");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

fn response<ResBody>(
    status: StatusCode,
    headers: &[(header::HeaderName, HeaderValue)],
    body: ResBody,
) -> Response<ResBody> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (name, value) in headers {
        res.headers_mut().insert(name, value.clone());
    }
    res
}

pub(super) fn plain<ResBody: From<&'static str>>(
    status: StatusCode,
    text: &'static str,
) -> Response<ResBody> {
    response(
        status,
        &[
            (header::CONTENT_TYPE, TEXT),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        ResBody::from(text),
    )
}

pub(super) fn not_allowed<ResBody: From<&'static str>>(allow: &'static str) -> Response<ResBody> {
    let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

/// A JSON answer (`status`, `keepalive`, an expired `fetch`): never cached,
/// never sniffed as anything else.
pub(super) fn json<ResBody: From<String>>(status: StatusCode, body: String) -> Response<ResBody> {
    response(
        status,
        &[
            (header::CONTENT_TYPE, JSON),
            (header::CACHE_CONTROL, NO_STORE),
            (header::X_CONTENT_TYPE_OPTIONS, NOSNIFF),
        ],
        ResBody::from(body),
    )
}

/// The script or the stylesheet: named after its content hash, so cached for a year.
pub(super) fn static_file<ResBody: From<&'static str>>(
    method: &Method,
    content_type: HeaderValue,
    content: &'static str,
) -> Response<ResBody> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return not_allowed("GET, HEAD");
    }
    response(
        StatusCode::OK,
        &[
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::X_CONTENT_TYPE_OPTIONS, NOSNIFF),
        ],
        ResBody::from(content),
    )
}

/// The layer's own answer to an expired request when `LOGIN_URL` is set: the
/// core decides the kind of answer and where it points
/// ([`request::answer_expired`], [`request::expired_login_location`]); this
/// only writes it as HTTP.
pub(super) fn expired_answer<ResBody: From<String> + From<&'static str>>(
    login_url: &str,
    reason: ExpiryReason,
    headers: &HeaderMap,
    path_and_query: &str,
) -> Response<ResBody> {
    let header = |name: &str| header_str(headers, name);
    let answer = request::answer_expired(header);
    let login = request::expired_login_location(login_url, answer, path_and_query, header);
    let location =
        || HeaderValue::from_bytes(login.as_bytes()).unwrap_or(HeaderValue::from_static("/"));
    match answer {
        Answer::Redirect => response(
            StatusCode::SEE_OTHER,
            &[
                (header::LOCATION, location()),
                (header::CACHE_CONTROL, NO_STORE),
            ],
            ResBody::from(""),
        ),
        Answer::Unauthorized => json(
            StatusCode::UNAUTHORIZED,
            request::expired_json_with_login(reason, &login),
        ),
        // htmx acts on HX-Redirect whatever the status; 200 keeps it away from
        // error handlers.
        Answer::HtmxRedirect => response(
            StatusCode::OK,
            &[
                (header::HeaderName::from_static("hx-redirect"), location()),
                (header::CACHE_CONTROL, NO_STORE),
            ],
            ResBody::from(""),
        ),
    }
}
