//! The smallest complete app to start from: axum, in-memory sessions, MiniJinja
//! pages, and the auto-logout layer with its warning dialog and stylesheet.
//!
//! `cargo run --example axum_minimal`, open <http://127.0.0.1:3000/>, sign in
//! with any name and the password `demo`, and leave the tab alone for a minute.

use std::process::ExitCode;
use std::sync::LazyLock;

use auto_logout::Config;
use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Router, routing::get, routing::post};
use axum_messages::{Messages, MessagesManagerLayer};
use minijinja::{Environment, Value, context};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer, session};

const LOGIN: &str = r#"<!doctype html><title>Sign in</title>
{% for m in messages %}<p class="message">{{ m }}</p>{% endfor %}
<form method="post"><input name="user"> <input name="password" type="password"> <button>Sign in</button></form>"#;
const HOME: &str = r#"<!doctype html><title>Home</title>
<link rel="stylesheet" href="{{ stylesheet }}">{# the warning dialog's default look #}
<p>Hello {{ user }}. Idle logout in {{ seconds_until_idle_end }} s unless you do something.</p>
<form method="post" action="/logout"><button>Sign out</button></form>
{{ redirect_to_login_immediately }}"#;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    auto_logout::minijinja::register(&mut env); // defaults for anonymous pages
    env.add_template("login.html", LOGIN)
        .expect("valid template");
    env.add_template("home.html", HOME).expect("valid template");
    env
});

type Failure = (StatusCode, String);

fn unavailable(err: session::Error) -> Failure {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("session store: {err}"),
    )
}

fn page(name: &str, values: Value) -> Result<Html<String>, Failure> {
    let html = PAGES.get_template(name).and_then(|t| t.render(values));
    html.map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn home(session: Session, auto_logout: AutoLogoutContext) -> Result<Response, Failure> {
    let Some(user) = session.get::<String>("user").await.map_err(unavailable)? else {
        return Ok(Redirect::to("/login").into_response()); // your login guard
    };
    let stylesheet = auto_logout.config().stylesheet_url();
    let values = auto_logout::minijinja::values(&auto_logout.context());
    Ok(page("home.html", context! { user, stylesheet, ..values })?.into_response())
}

async fn login_form(messages: Messages) -> Result<Html<String>, Failure> {
    let messages: Vec<String> = messages.map(|m| m.message).collect();
    page("login.html", context! { messages })
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
    password: String,
}

async fn login(
    auto_logout: AutoLogout,
    session: Session,
    Form(form): Form<Login>,
) -> Result<Redirect, Failure> {
    if form.password == "demo" {
        session
            .insert("user", form.user)
            .await
            .map_err(unavailable)?;
        auto_logout.login(&session).await.map_err(unavailable)?; // starts the clocks, new id
    }
    Ok(Redirect::to("/"))
}

async fn logout(auto_logout: AutoLogout, session: Session) -> Result<Redirect, Failure> {
    auto_logout.logout(&session).await.map_err(unavailable)?; // record deleted, new id
    Ok(Redirect::to("/login"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("axum_minimal: {err}"); // Display: the message, not the struct
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder()
        .idle_time("1m")
        .session_time("30m")
        .warn_before("20s")
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .build()?;
    // One store, wrapped so that a logout stays final, given to both layers.
    let store = AutoLogoutStore::new(MemoryStore::default());
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        // The last layer added is the outermost: sessions, auto-logout, messages.
        .layer(MessagesManagerLayer)
        .layer(AutoLogoutLayer::new(config, &store))
        .layer(SessionManagerLayer::new(store).with_secure(false)); // http on localhost
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000")
        .await
        .map_err(|err| format!("cannot listen on 127.0.0.1:3000: {err}"))?;
    println!("http://127.0.0.1:3000/  (any name, password: demo)");
    Ok(axum::serve(listener, app).await?)
}
