//! "Your sessions" in two browsers, written once for both demos: two
//! Chromiums (two chromedrivers, two profiles, so two cookie jars) signed in
//! as `demo` on the same site. Browser A lists both sessions on `/sessions`
//! and signs out everywhere else (a form on another site that tries the same
//! ends nothing); browser B, left alone on the home page,
//! leaves for the sign-in page by itself at its script's next status check
//! (not before it, and not much after), and lands there with the revoked
//! message. Every answer the server gave is counted; none is a 5xx.
//!
//! The script asks `status` at its deadlines only (and with
//! `LOGOUT_ON_TABS_CLOSED`, every quarter of the lease): here the first one
//! is the check before the warning, `IDLE_TIME - WARN_BEFORE` after B's page
//! load, 10 s in [`config`].

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auto_logout::Config;
use auto_logout_demos::axum_demo as app;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::flows::{LATE_MS, MAX_DELAY_MS, assert_csp_mode, assert_no_csp_violation};
use crate::{Browser, CHROMIUM_ARGS, Csp, Demo, Hit, Recorder, Site, ms_between, until};

/// The message on the sign-in page of a session signed out from elsewhere:
/// the demo's default.
pub const REVOKED_MESSAGE: &str = app::DEFAULT_REVOKED_MESSAGE;

/// Browser B's `User-Agent` (Edge on Windows, as "Your sessions" describes
/// it), so that its session is told from A's ("Chrome on Linux") on the page
/// and its requests from A's in the recording.
pub const B_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

/// `IDLE_TIME` and `WARN_BEFORE` of [`config`], in seconds: the script's
/// status check before the warning comes 10 s after a page load.
pub const IDLE: u64 = 30;
pub const WARN: u64 = 20;

/// Idle 30 s with the warning 20 s before, absolute 300 s, `LOGIN_URL`
/// `/login`, and the demo's messages.
pub fn config() -> Config {
    Config::builder()
        .idle_time(IDLE as i64)
        .warn_before(WARN as i64)
        .session_time(300)
        .message(app::DEFAULT_MESSAGE)
        .revoked_message(REVOKED_MESSAGE)
        .login_url("/login")
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .build()
        .expect("a valid test configuration")
}

/// One session as the page lists it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Listed {
    pub client: String,
    /// It says "This session".
    pub this: bool,
    /// It has a "Sign out" button.
    pub sign_out: bool,
    /// The `datetime` of its four times (empty: none shown).
    pub times: Vec<String>,
}

/// The sessions listed on the current page (`/sessions`).
pub async fn listed(c: &Client) -> Vec<Listed> {
    let found = c
        .execute(
            "return Array.prototype.map.call(document.querySelectorAll('.sessions > li'), function (li) {
               var client = li.querySelector('.session__client');
               var own = client.querySelector('.session__this');
               return { client: client.firstChild.textContent.trim(), this: !!own,
                        sign_out: !!li.querySelector('form button'),
                        times: Array.prototype.map.call(li.querySelectorAll('time'), function (t) { return t.getAttribute('datetime'); }) };
             });",
            vec![],
        )
        .await
        .expect("read the sessions");
    serde_json::from_value(found).expect("the sessions as listed")
}

/// The second browser: its own chromedriver and Chromium with a profile of
/// its own, killed (the process group) and removed on drop. [`Browser`]
/// runs one at a time (a process-wide lock), so a second one in the same
/// test is started here, while the first holds the turn.
pub struct SecondBrowser {
    pub client: Client,
    // Field order: the client's connection goes first, then the processes.
    _guard: Processes,
}

/// chromedriver (and the Chromium it started) and the profile directory.
struct Processes {
    driver: Option<Child>,
    dir: PathBuf,
}

impl SecondBrowser {
    /// Starts it with `user_agent`; call after [`Browser::start`] gave the
    /// first (which checked that the binaries are there).
    pub async fn start(user_agent: &str) -> SecondBrowser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = std::env::temp_dir().join(format!(
            "auto-logout-e2e-{}-second-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create the profile directory");
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(crate::chromedriver_path())
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start the second chromedriver")
        };
        // From here on, a panic kills it.
        let guard = Processes {
            driver: Some(driver),
            dir,
        };
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-agent={user_agent}"));
        args.push(format!(
            "--user-data-dir={}",
            guard.dir.join("profile").display()
        ));
        let caps: serde_json::Map<String, serde_json::Value> = [
            ("browserName".to_owned(), json!("chrome")),
            (
                "goog:chromeOptions".to_owned(),
                json!({ "binary": crate::chromium_path().display().to_string(), "args": args }),
            ),
        ]
        .into_iter()
        .collect();
        let wd = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&wd)
                .await
            {
                Ok(client) => break client,
                Err(_) if started.elapsed() < Duration::from_secs(30) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("the second chromedriver on port {port} did not answer: {err}"),
            }
        };
        SecondBrowser {
            client,
            _guard: guard,
        }
    }

    /// Ends the WebDriver session; the drop does the rest.
    pub async fn quit(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            // chromedriver leads its own process group, and Chromium runs in
            // it: kill exactly that group (a negative id names a group).
            if let Ok(pgid) = libc::pid_t::try_from(driver.id())
                && pgid > 1
            {
                // SAFETY: kill(2) with a negative id signals only that process group.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The current path and query of `c`.
pub async fn path_of(c: &Client) -> String {
    let url = c.current_url().await.expect("current URL");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Polls `c`'s URL until its path is `path`; the moment it was first seen.
pub async fn wait_for_path_of(c: &Client, path: &str, timeout: Duration) -> Option<Instant> {
    until(timeout, || async {
        let url = c.current_url().await.ok()?;
        (url.path() == path).then(Instant::now)
    })
    .await
}

/// The text of every `.message` element on `c`'s page.
pub async fn messages_of(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for el in c
        .find_all(Locator::Css(".message"))
        .await
        .unwrap_or_default()
    {
        out.push(el.text().await.unwrap_or_default());
    }
    out
}

/// Signs `c` in as demo/demo on `site` through the login form; waits for `/`.
pub async fn sign_in(c: &Client, site: &Site) {
    c.goto(&site.url("/login")).await.expect("open /login");
    let form = c
        .form(Locator::Css("form[action='/login']"))
        .await
        .expect("the login form");
    form.set_by_name("username", app::USERNAME)
        .await
        .expect("username");
    form.set_by_name("password", app::PASSWORD)
        .await
        .expect("password");
    form.submit().await.expect("submit");
    wait_for_path_of(c, "/", Duration::from_secs(10))
        .await
        .expect("signed in: on /");
}

/// Clicks the button `css` on `c`'s page.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// A request of browser B.
fn from_b(hit: &Hit) -> bool {
    hit.header("user-agent") == Some(B_USER_AGENT)
}

/// "Sign out everywhere else" on `demo` under `csp`, in two browsers (see
/// the module docs). The timing: B's page leaves at its first status
/// check, due `IDLE_TIME - WARN_BEFORE` after B's page load reached the
/// server; B's status request reaches the server no earlier than that (less
/// 50 ms for the two clocks), B's request for the sign-in page reaches the
/// server no later than [`LATE_MS`] after it, and B's URL, polled through
/// WebDriver while a second Chromium runs, is seen there no later than
/// [`MAX_DELAY_MS`] after it.
pub async fn sign_out_everywhere_else(demo: Demo, csp: Csp, label: &str) {
    let label = &format!("{} {label}", demo.name());
    let site = Site::on(demo, config(), csp).await;
    let Some(a) = Browser::start().await else {
        return;
    };
    let b = SecondBrowser::start(B_USER_AGENT).await;
    let origin = Instant::now();
    a.watch().await;
    a.login(&site).await;
    sign_in(&b.client, &site).await;
    // B's page load: its script asks `status` first before the warning.
    let loaded = site
        .log
        .hits()
        .into_iter()
        .rev()
        .find(|hit| from_b(hit) && hit.method == "GET" && hit.path == "/" && hit.status == 200)
        .unwrap_or_else(|| panic!("{label}: B's page load of / was not recorded"));
    let due = loaded.at + Duration::from_secs(IDLE - WARN);

    // A: home -> "Your sessions" (the link), both sessions listed.
    click(&a.client, "#your-sessions").await;
    a.wait_for_path("/sessions", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{label}: the link did not lead to /sessions"));
    let sessions = listed(&a.client).await;
    println!("{label}: A's /sessions lists {sessions:?}");
    assert_eq!(sessions.len(), 2, "{label}: {sessions:?}");
    let (own, other) = (&sessions[0], &sessions[1]);
    assert!(
        own.this && !own.sign_out && own.client == "Chrome on Linux",
        "{label}: A's own session first (signed in first), marked, without a button: {own:?}"
    );
    assert!(
        !other.this && other.sign_out && other.client == "Edge on Windows",
        "{label}: B's session, with a button: {other:?}"
    );
    for session in &sessions {
        assert_eq!(session.times.len(), 4, "{label}: four times: {session:?}");
        assert!(
            session.times.iter().all(|t| t.ends_with('Z')),
            "{label}: {session:?}"
        );
    }
    let page = a.client.source().await.expect("the page source");
    assert!(
        !page.contains(&a_cookie(&a).await),
        "{label}: the page shows the session cookie"
    );
    assert_csp_mode(&a, &site, csp).await;

    // A form on another site (`localhost` is another site than `127.0.0.1`)
    // posting "Sign out everywhere else": the `SameSite=Lax` session cookie
    // stays home, so the demo sees an anonymous visitor and ends nothing.
    let elsewhere = site.base.replace("127.0.0.1", "localhost");
    a.client
        .goto(&format!("{elsewhere}/public"))
        .await
        .expect("open the other site");
    a.client
        .execute(
            "var f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
             document.body.appendChild(f); f.submit();",
            vec![json!(site.url("/sessions/others/logout"))],
        )
        .await
        .expect("submit the cross-site form");
    a.wait_for_path("/login", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{label}: the cross-site form did not end on /login"));
    let forged = site
        .log
        .hits()
        .into_iter()
        .find(|hit| hit.method == "POST" && hit.path == "/sessions/others/logout")
        .unwrap_or_else(|| panic!("{label}: the cross-site POST was not recorded"));
    assert!(
        forged.status == 303
            && forged.location.as_deref() == Some("/login")
            && forged
                .header("cookie")
                .is_none_or(|c| !c.contains(app::SESSION_COOKIE)),
        "{label}: the cross-site form: {forged} (cookie {:?})",
        forged.header("cookie")
    );
    a.client
        .goto(&site.url("/sessions"))
        .await
        .expect("back to /sessions");
    assert_eq!(
        listed(&a.client).await.len(),
        2,
        "{label}: the cross-site form ended a session"
    );

    // A signs out everywhere else, before B's status check is due.
    let clicked = Instant::now();
    click(&a.client, "#sign-out-others").await;
    // A is on /sessions already: wait for the POST and the page after it.
    let revoked = until(Duration::from_secs(5), || async {
        let hits = site.log.since(clicked);
        let post = hits
            .iter()
            .find(|hit| hit.method == "POST" && hit.path == "/sessions/others/logout")?;
        hits.iter()
            .any(|hit| hit.method == "GET" && hit.path == "/sessions" && hit.at > post.at)
            .then(|| post.clone())
    })
    .await
    .unwrap_or_else(|| panic!("{label}: no POST and /sessions after the click"));
    until(Duration::from_secs(5), || async {
        (!messages_of(&a.client).await.is_empty()).then_some(())
    })
    .await;
    assert_eq!(revoked.status, 303, "{label}: {revoked}");
    assert_eq!(revoked.location.as_deref(), Some("/sessions"), "{label}");
    assert!(
        revoked.done < due,
        "{label}: the test was too slow: signed out {} ms after B's status check was due",
        ms_between(due, revoked.done)
    );
    assert_eq!(
        messages_of(&a.client).await,
        vec!["Signed out 1 other session.".to_owned()],
        "{label}"
    );
    let left = listed(&a.client).await;
    assert!(
        left.len() == 1 && left[0].this,
        "{label}: only A's session is left: {left:?}"
    );
    let probe = a.status(&site).await;
    assert!(probe.active, "{label}: A's session ended too: {probe:?}");
    assert_no_csp_violation(&a, csp, label).await;

    // B, left alone, leaves by itself at its status check.
    let seen = wait_for_path_of(
        &b.client,
        "/login",
        due - Instant::now() + Duration::from_secs(3),
    )
    .await;
    let hits = site.log.hits();
    let Some(seen) = seen else {
        panic!(
            "{label}: B is still on {} 3 s after its status check was due:\n{}",
            path_of(&b.client).await,
            Recorder::dump(&hits, origin)
        );
    };
    println!("{label}:\n{}", Recorder::dump(&hits, loaded.at));
    let b_status: Vec<&Hit> = hits
        .iter()
        .filter(|hit| from_b(hit) && hit.is_status() && hit.at >= loaded.at)
        .collect();
    let check = *b_status
        .first()
        .unwrap_or_else(|| panic!("{label}: B's page sent no status request"));
    let login = hits
        .iter()
        .find(|hit| from_b(hit) && hit.path_only() == "/login" && hit.at >= check.at)
        .unwrap_or_else(|| panic!("{label}: B's request for the sign-in page was not recorded"));
    let early = ms_between(check.at, due);
    let (late_server, late_url) = (ms_between(due, login.at), ms_between(due, seen));
    println!(
        "FIGURE {label}: after B's status check was due: its status request at the server {} ms, its sign-in page request {late_server} ms, its URL on the sign-in page {late_url} ms",
        ms_between(due, check.at)
    );
    assert!(
        early <= 50,
        "{label}: B's status check came {early} ms before it was due: {check}"
    );
    assert_eq!(check.status, 200, "{label}: {check}");
    assert!(
        late_server <= LATE_MS,
        "{label}: B asked for the sign-in page {late_server} ms after its status check was due (at most {LATE_MS})"
    );
    assert!(
        late_url <= MAX_DELAY_MS,
        "{label}: B's URL reached the sign-in page {late_url} ms after its status check was due (at most {MAX_DELAY_MS})"
    );
    assert!(
        !hits.iter().any(|hit| from_b(hit)
            && hit.path_only() == "/login"
            && hit.at > loaded.at
            && hit.at < check.at),
        "{label}: B left before its status check"
    );
    assert_eq!(path_of(&b.client).await, "/login?next=%2F", "{label}");
    assert_eq!(
        messages_of(&b.client).await,
        vec![REVOKED_MESSAGE.to_owned()],
        "{label}: B's sign-in page"
    );
    // Still signed out: a protected page sends B to sign in again, once
    // more without a message (it was shown).
    b.client
        .goto(&site.url("/sessions"))
        .await
        .expect("open /sessions");
    wait_for_path_of(&b.client, "/login", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{label}: B reached /sessions after the sign-out"));
    assert_eq!(
        messages_of(&b.client).await,
        Vec::<String>::new(),
        "{label}"
    );

    // Every answer the server gave, none a 5xx.
    let hits = site.log.hits();
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for hit in &hits {
        *by_status.entry(hit.status).or_default() += 1;
    }
    println!("{label}: {} answers by status {by_status:?}", hits.len());
    let failed: Vec<Hit> = hits
        .iter()
        .filter(|hit| hit.status >= 500)
        .cloned()
        .collect();
    assert!(
        failed.is_empty(),
        "{label}: the server failed:\n{}",
        Recorder::dump(&failed, origin)
    );
    b.quit().await;
    a.quit().await;
}

/// The value of A's session cookie.
async fn a_cookie(a: &Browser) -> String {
    a.client
        .get_named_cookie(app::SESSION_COOKIE)
        .await
        .map(|cookie| cookie.value().to_owned())
        .expect("A's session cookie")
}
