//! The smallest complete app to start from: actix-web, actix-session, Tera 2
//! pages, flash messages, and the auto-logout middleware with its warning
//! dialog and stylesheet.
//!
//! `cargo run --example actix_minimal`, open <http://localhost:3000/>, sign in
//! with any name and the password `demo`, and leave the tab alone for a minute.

use std::process::ExitCode;
use std::sync::LazyLock;

use actix_session::{Session, SessionMiddleware, storage::CookieSessionStore};
use actix_web::{App, HttpResponse, HttpServer, Result, cookie::Key, web};
use actix_web_flash_messages::storage::CookieMessageStore;
use actix_web_flash_messages::{FlashMessage, FlashMessagesFramework, IncomingFlashMessages};
use auto_logout::Config;
use auto_logout::actix::{AutoLogout, AutoLogoutContext, AutoLogoutMiddleware, AutoLogoutStore};
use auto_logout::actix::{KeepUnread, StoreErrors};
use tera::{Context, Tera};

const LOGIN: &str = r#"<!doctype html><title>Sign in</title>
{% for m in messages %}<p class="message">{{ m }}</p>{% endfor %}
<form method="post"><input name="user"> <input name="password" type="password"> <button>Sign in</button></form>"#;
const HOME: &str = r#"<!doctype html><title>Home</title>
<link rel="stylesheet" href="{{ stylesheet }}">{# the warning dialog's default look #}
<p>Hello {{ user }}. Idle logout in {{ seconds_until_idle_end }} s unless you do something.</p>
<form method="post" action="/logout"><button>Sign out</button></form>
{{ redirect_to_login_immediately }}"#;

static PAGES: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::new();
    auto_logout::tera::register(&mut tera); // defaults for anonymous pages
    tera.add_raw_templates([("login.html", LOGIN), ("home.html", HOME)])
        .expect("valid templates");
    tera
});

fn page(name: &str, values: &Context) -> Result<HttpResponse> {
    let html = PAGES.render(name, values);
    let html = html.map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", location))
        .finish()
}

async fn home(session: Session, auto_logout: AutoLogoutContext) -> Result<HttpResponse> {
    let Some(user) = session.get::<String>("user")? else {
        return Ok(see_other("/login")); // your login guard
    };
    let mut values = Context::new();
    values.insert("user", &user);
    values.insert("stylesheet", auto_logout.config().stylesheet_url());
    auto_logout::tera::insert(&mut values, &auto_logout.context());
    page("home.html", &values)
}

async fn login_form(messages: IncomingFlashMessages) -> Result<HttpResponse> {
    let messages: Vec<&str> = messages.iter().map(|m| m.content()).collect();
    let mut values = Context::new();
    values.insert("messages", &messages);
    page("login.html", &values)
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
    password: String,
}

async fn login(
    auto_logout: AutoLogout,
    session: Session,
    form: web::Form<Login>,
) -> Result<HttpResponse> {
    if form.password != "demo" {
        FlashMessage::error("Wrong name or password.").send();
        return Ok(see_other("/login"));
    }
    session.insert("user", &form.user)?;
    auto_logout.login(&session)?; // starts the clocks, new session key
    Ok(see_other("/"))
}

async fn logout(auto_logout: AutoLogout, session: Session) -> HttpResponse {
    auto_logout.logout(&session); // state deleted, new key for what comes next
    FlashMessage::info("You have been signed out.").send();
    see_other("/login")
}

#[actix_web::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("actix_minimal: {err}"); // Display: the message, not the struct
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
    let key = Key::generate(); // one for every worker: sessions and messages are signed with it
    println!("http://localhost:3000/  (any name, password: demo)");
    HttpServer::new(move || {
        // A store in the cookie (actix-session has no in-memory one). In production
        // a server-side one (the crate's `RedisStore`): only there is a logout final.
        let store = AutoLogoutStore::new(CookieSessionStore::default());
        let flash = CookieMessageStore::builder(key.clone()).build();
        App::new()
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login_form))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            // The last `wrap` is the outermost: sessions, messages, auto-logout.
            .wrap(AutoLogoutMiddleware::new(config.clone(), &store))
            // The message cookie follows the session cookie: not Secure over plain http.
            .wrap(
                FlashMessagesFramework::builder(KeepUnread::new(flash).cookie_secure(false))
                    .build(),
            )
            .wrap(
                SessionMiddleware::builder(store, key.clone())
                    .cookie_secure(false)
                    .build(),
            )
            .wrap(StoreErrors) // a failing store answers 503
    })
    .bind("127.0.0.1:3000")
    .map_err(|err| format!("cannot listen on 127.0.0.1:3000: {err}"))?
    .run()
    .await?;
    Ok(())
}
