//! The logout hook's OpenID Connect flow in a real browser: a page left alone
//! is logged out by the client script's `status` request, the hook answers it
//! with a redirect to the identity provider's end-session URL (another
//! origin: a second server on another loopback port), and the script takes
//! the browser there — not to `LOGIN_URL` — no earlier than `IDLE_TIME` − 1 %
//! and no later than `IDLE_TIME` + 250 ms after the user's last request.
//! Back on the site, the session is gone and the login page shows the
//! expiry message. On both demos; the user's last request is told apart by
//! the site's recorder (by the request's kind, not the crate's rules).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auto_logout::Config;
use auto_logout::actix::LogoutEvent as ActixLogoutEvent;
use auto_logout::axum::LogoutEvent;
use auto_logout_demos::axum_demo as app;
use auto_logout_e2e::flows::{LATE_MS, early_ms};
use auto_logout_e2e::{Browser, Demo, IDLE_MESSAGE, Recorder, Site, ms_between, until};
use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use fantoccini::Locator;

/// When each request reached the identity provider, and its path and query.
#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    path: String,
}

type Arrivals = Arc<Mutex<Vec<Arrival>>>;

/// The hook's calls: reason, path, the user it read from the session.
type Calls = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A layer that notes every request's arrival in `log`.
fn recorded(router: Router, log: Arrivals) -> Router {
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(Arrival {
                    at: Instant::now(),
                    path: req.uri().to_string(),
                });
                next.run(req).await
            }
        },
    ))
}

/// Notes a call of the hook in `seen`; the provider's URL it answers with.
fn note(seen: &Calls, reason: &str, path: &str, user: Option<String>, end_session: &str) -> String {
    seen.lock()
        .unwrap()
        .push((reason.to_owned(), path.to_owned(), user.clone()));
    format!("{end_session}&user={}", user.unwrap_or_default())
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_expiry_found_by_the_script_goes_to_the_identity_provider() {
    to_the_identity_provider(Demo::Axum).await;
}

#[tokio::test]
async fn actix_an_expiry_found_by_the_script_goes_to_the_identity_provider() {
    to_the_identity_provider(Demo::Actix).await;
}

async fn to_the_identity_provider(demo: Demo) {
    let label = demo.name();
    // The identity provider: its end-session page, on another origin.
    let idp_log: Arrivals = Arc::default();
    let idp = serve(recorded(
        Router::new().route(
            "/logout",
            get(|| async { Html("<p id=\"idp\">Signed out at the identity provider.</p>") }),
        ),
        idp_log.clone(),
    ))
    .await;

    // The site: the demo with an idle time of 3 s and a hook that sends the
    // browser to the provider, naming the user it read from the session.
    let config = Config::builder()
        .idle_time(3)
        .session_time(60)
        .idle_message(IDLE_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .passive_path("/static/")
        .build()
        .unwrap();
    let idle = config.idle_time().unwrap();
    let calls: Calls = Arc::default();
    let mut settings = app::Settings::new(config);
    settings.htmx = None;
    let end_session = format!("{idp}/logout?client_id=shop");
    let (seen, to) = (calls.clone(), end_session.clone());
    settings.customize.axum = Some(Arc::new(move |layer| {
        let (seen, to) = (seen.clone(), to.clone());
        layer.on_logout(move |event: LogoutEvent| {
            let (seen, to) = (seen.clone(), to.clone());
            async move {
                let user = event.session().get::<String>(app::USER_KEY).await?;
                let url = note(
                    &seen,
                    event.reason().as_str(),
                    event.uri().path(),
                    user,
                    &to,
                );
                Ok::<_, tower_sessions::session::Error>(Some(Redirect::to(&url).into_response()))
            }
        })
    }));
    let (seen, to) = (calls.clone(), end_session);
    settings.customize.actix = Some(Arc::new(move |middleware| {
        let (seen, to) = (seen.clone(), to.clone());
        middleware.on_logout(move |event: ActixLogoutEvent| {
            let (seen, to) = (seen.clone(), to.clone());
            async move {
                let user = event.session().get::<String>(app::USER_KEY)?;
                let url = note(
                    &seen,
                    event.reason().as_str(),
                    event.uri().path(),
                    user,
                    &to,
                );
                Ok::<_, actix_session::SessionGetError>(Some(
                    actix_web::HttpResponse::SeeOther()
                        .insert_header(("location", url))
                        .finish(),
                ))
            }
        })
    }));
    let site = Site::on_settings(demo, settings).await;
    let site_url = site.base.clone();

    let Some(b) = Browser::start().await else {
        return;
    };
    // Sign in through the form; the page after it is the user's last request.
    b.client.goto(&format!("{site_url}/login")).await.unwrap();
    let form = b
        .client
        .form(Locator::Css("form[action='/login']"))
        .await
        .unwrap();
    form.set_by_name("username", app::USERNAME).await.unwrap();
    form.set_by_name("password", app::PASSWORD).await.unwrap();
    form.submit().await.unwrap();
    b.wait_for_path("/", Duration::from_secs(10))
        .await
        .expect("signed in: on /");

    // Left alone: the script asks status at the deadline and leaves.
    let at_idp = until(idle + Duration::from_secs(3), || async {
        idp_log.lock().unwrap().first().map(|a| a.at)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "{label}: the browser did not reach the identity provider; site requests:\n{}",
            Recorder::dump(&site.log.hits(), Instant::now() - Duration::from_secs(30))
        )
    });
    let last = site
        .log
        .last_activity_before(at_idp)
        .expect("the user's last request");
    let after = ms_between(last.at, at_idp);
    let idle_ms = idle.as_millis() as i64;
    println!(
        "{label}: at the identity provider {after} ms after the user's last request (IDLE_TIME {idle_ms} ms)"
    );
    assert!(
        after >= idle_ms - early_ms(idle),
        "at the provider {after} ms after {} {}: early",
        last.method,
        last.path
    );
    assert!(
        after <= idle_ms + LATE_MS,
        "at the provider {after} ms after {} {}: late",
        last.method,
        last.path
    );
    // The script's status request found the expiry; the hook saw the user.
    assert_eq!(
        *calls.lock().unwrap(),
        [(
            "idle".to_owned(),
            "/auto-logout/status".to_owned(),
            Some(app::USERNAME.to_owned())
        )]
    );
    let idp_hit = idp_log.lock().unwrap()[0].clone();
    assert_eq!(
        idp_hit.path,
        format!("/logout?client_id=shop&user={}", app::USERNAME)
    );
    let url = b.client.current_url().await.unwrap();
    assert_eq!(format!("{}://{}", url.scheme(), url.authority()), idp);
    assert!(
        b.client.find(Locator::Id("idp")).await.is_ok(),
        "the provider's page is shown"
    );

    // Back on the site: signed out, and the login page says why.
    b.client.goto(&format!("{site_url}/")).await.unwrap();
    b.wait_for_path("/login", Duration::from_secs(5))
        .await
        .expect("on the login page");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    assert_eq!(calls.lock().unwrap().len(), 1, "one logout, one hook call");
    b.quit().await;
}
