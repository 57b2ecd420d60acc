//! The engine's rules, one by one.

mod routes_and_replies {
    use std::borrow::Cow;

    use super::super::hook::*;
    use super::super::*;
    use crate::assets;
    use crate::config::Config;
    use crate::decision::Remaining;
    use crate::decision::{Activity, ExpiryReason, RequestOutcome};

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + Copy {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn config() -> Config {
        Config::builder()
            .idle_time(600)
            .login_url("/login?lang=en")
            .build()
            .unwrap()
    }

    fn reply_of(route: Route) -> Reply {
        match route {
            Route::Reply(reply) => reply,
            Route::Continue(e) => panic!("expected a reply, got Continue({e:?})"),
        }
    }

    #[test]
    fn urls_are_built_under_the_prefix() {
        let c = Config::builder()
            .idle_time(60)
            .endpoint_prefix("/x/")
            .build()
            .unwrap();
        let e = Endpoints::new(&c);
        assert_eq!(e.status(), "/x/status");
        assert_eq!(e.keepalive(), "/x/keepalive");
        assert_eq!(e.script(), c.script_url());
        assert_eq!(e.stylesheet(), c.stylesheet_url());
        assert_eq!(e.match_path("/x/status"), Some(Endpoint::Status));
        assert_eq!(e.match_path(c.script_url()), Some(Endpoint::Script));
        for other in ["/x/statusx", "/x/", "/status", "/x/status/", "/"] {
            assert_eq!(e.match_path(other), None, "{other}");
        }
    }

    #[test]
    fn static_files_are_immutable_and_not_sniffed() {
        let e = Endpoints::new(&config());
        for (url, kind, content) in [
            (e.script(), JAVASCRIPT, assets::SCRIPT),
            (e.stylesheet(), CSS, assets::STYLESHEET),
        ] {
            for method in ["GET", "HEAD"] {
                let r = reply_of(route(&e, method, url, headers(&[])));
                assert_eq!(r.status, 200);
                assert_eq!(r.header("content-type"), Some(kind));
                assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
                assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
                assert_eq!(r.body, content);
                assert!(matches!(r.headers, Cow::Borrowed(_)));
                assert!(matches!(r.body, Cow::Borrowed(_)));
            }
        }
    }

    #[test]
    fn wrong_methods_get_405_with_allow() {
        let e = Endpoints::new(&config());
        for (url, method, allow) in [
            (e.status(), "POST", "GET, HEAD"),
            (e.script(), "DELETE", "GET, HEAD"),
            (e.stylesheet(), "PUT", "GET, HEAD"),
            (e.keepalive(), "GET", "POST"),
        ] {
            let r = reply_of(route(&e, method, url, headers(&[])));
            assert_eq!(r.status, 405, "{method} {url}");
            assert_eq!(r.header("allow"), Some(allow));
            assert_eq!(r.header("cache-control"), Some(NO_STORE));
        }
    }

    #[test]
    fn keepalive_needs_its_header() {
        let e = Endpoints::new(&config());
        let r = reply_of(route(&e, "POST", e.keepalive(), headers(&[])));
        assert_eq!((r.status, r.body.as_ref()), (403, KEEPALIVE_REFUSED));
        let wrong = [("x-auto-logout", "0")];
        assert_eq!(
            reply_of(route(&e, "POST", e.keepalive(), headers(&wrong))).status,
            403
        );
        let ok = [("x-auto-logout", " 1 ")];
        assert_eq!(
            route(&e, "POST", e.keepalive(), headers(&ok)),
            Route::Continue(Some(Endpoint::Keepalive))
        );
        assert_eq!(
            route(&e, "HEAD", e.status(), headers(&[])),
            Route::Continue(Some(Endpoint::Status))
        );
        assert_eq!(
            route(&e, "POST", "/orders", headers(&[])),
            Route::Continue(None)
        );
    }

    #[test]
    fn endpoint_and_error_answers() {
        let r = Reply::endpoint(&RequestOutcome::Active {
            remaining: Remaining::new(Some(1500), None),
            write: None,
        });
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(JSON));
        assert_eq!(r.header("cache-control"), Some(NO_STORE));
        assert!(r.body.starts_with(r#"{"active":true"#));
        let s = Reply::store_failed();
        assert_eq!((s.status, s.body.as_ref()), (503, STORE_FAILED));
        assert_eq!(s.header("cache-control"), Some(NO_STORE));
        assert_eq!(Reply::missing_session("add it").status, 500);
        assert_eq!(Reply::misconfigured("wrap it").body, "wrap it");
    }

    #[test]
    fn mistakes_answer_500_with_their_fix() {
        assert_eq!(session_layer_ran(Some(1)), Ok(1));
        assert_eq!(
            session_layer_ran(None::<u8>),
            Err(Mistake::SessionLayerNotOutside)
        );
        assert_eq!(store_mistake(true, true), None);
        assert_eq!(store_mistake(false, false), None, "nothing loaded yet");
        assert_eq!(store_mistake(false, true), Some(Mistake::StoreNotWrapped));
        // Messages: only when a message is configured, and only when the
        // middleware ran inside (before: fine; neither: reported where lost).
        assert_eq!(
            messages_mistake(true, false, true),
            Some(Mistake::MessagesNotOutside)
        );
        for (configured, before, after) in [
            (false, false, true),
            (true, true, true),
            (true, false, false),
        ] {
            assert_eq!(messages_mistake(configured, before, after), None);
        }
        for mistake in [
            Mistake::SessionLayerNotOutside,
            Mistake::StoreNotWrapped,
            Mistake::MessagesNotOutside,
        ] {
            for framework in [Framework::Axum, Framework::Actix] {
                let r = mistake.reply(framework);
                assert_eq!(r.status, 500);
                assert_eq!(r.body, mistake.fix(framework));
                assert!(r.body.starts_with("auto-logout: "), "{}", r.body);
                assert_eq!(r.header("content-type"), Some(TEXT));
                assert_eq!(r.header("cache-control"), Some(NO_STORE));
            }
        }
        let axum = Mistake::SessionLayerNotOutside.fix(Framework::Axum);
        assert!(axum.contains(".layer(SessionManagerLayer::new(store))"));
        let actix = Mistake::MessagesNotOutside.fix(Framework::Actix);
        assert!(actix.contains(".wrap(FlashMessagesFramework::builder(..).build())"));
    }

    #[test]
    fn the_login_page_is_exempt() {
        assert!(is_login_page("/login?lang=en", "/login"));
        assert!(is_login_page("/login", "/login"));
        assert!(!is_login_page("/login", "/login/"));
        assert!(!is_login_page("/login", "/"));
        let c = config();
        assert_eq!(
            expired_reply(
                &c,
                ExpiryReason::Idle,
                "/login",
                "/login?next=/",
                headers(&[])
            ),
            None
        );
        let no_login_url = Config::builder().idle_time(60).build().unwrap();
        assert_eq!(
            expired_reply(&no_login_url, ExpiryReason::Idle, "/", "/", headers(&[])),
            None
        );
    }

    #[test]
    fn clocks_start_for_a_login_made_elsewhere() {
        let c = config();
        let untracked = RequestOutcome::Untracked;
        assert!(starts_clocks_of_untracked_login(&c, true, &untracked));
        assert!(!starts_clocks_of_untracked_login(&c, false, &untracked));
        let expired = RequestOutcome::Expired(ExpiryReason::Idle);
        assert!(!starts_clocks_of_untracked_login(&c, true, &expired));
        let no_limit = Config::builder().build().unwrap();
        assert!(!starts_clocks_of_untracked_login(
            &no_limit, true, &untracked
        ));
        assert!(signed_in_during_request::<str>(None, Some("ada")));
        assert!(!signed_in_during_request::<str>(None, None));
    }

    #[test]
    fn pages_of_an_active_session_are_not_cached() {
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1), None),
            write: None,
        };
        assert_eq!(
            page_cache_control(&active, Activity::Counts, false),
            Some(NO_STORE)
        );
        assert_eq!(page_cache_control(&active, Activity::Counts, true), None);
        assert_eq!(page_cache_control(&active, Activity::Passive, false), None);
        for other in [
            RequestOutcome::Untracked,
            RequestOutcome::Expired(ExpiryReason::Idle),
        ] {
            assert_eq!(page_cache_control(&other, Activity::Counts, false), None);
        }
    }

    #[test]
    fn expired_answers_by_request_kind() {
        let c = config();
        let expired = |h: &[(&str, &str)]| {
            expired_reply(&c, ExpiryReason::Idle, "/orders", "/orders?p=2", headers(h)).unwrap()
        };
        let page = expired(&[("sec-fetch-mode", "navigate")]);
        assert_eq!(page.status, 303);
        assert_eq!(
            page.header("location"),
            Some("/login?lang=en&next=%2Forders%3Fp%3D2")
        );
        assert_eq!(page.header("cache-control"), Some(NO_STORE));
        assert_eq!(page.body, "");

        let fetch = expired(&[
            ("sec-fetch-mode", "cors"),
            ("host", "shop.example"),
            ("referer", "http://shop.example/cart"),
        ]);
        assert_eq!(fetch.status, 401);
        assert_eq!(fetch.header("content-type"), Some(JSON));
        assert_eq!(fetch.header("cache-control"), Some(NO_STORE));
        assert_eq!(
            fetch.body,
            r#"{"error":"session_expired","login":"/login?lang=en&next=%2Fcart","reason":"idle"}"#
        );

        let htmx = expired(&[
            ("hx-request", "true"),
            ("host", "shop.example"),
            ("hx-current-url", "http://shop.example/orders"),
        ]);
        assert_eq!(htmx.status, 200);
        assert_eq!(
            htmx.header("hx-redirect"),
            Some("/login?lang=en&next=%2Forders")
        );
        assert_eq!(htmx.header("cache-control"), Some(NO_STORE));
        assert_eq!(htmx.header("location"), None);
    }

    const IDP: &str = "https://idp.example/logout?client_id=shop";

    #[test]
    fn a_hooks_redirect_reaches_each_kind_of_request() {
        let as_data = |endpoint, h: &[(&str, &str)]| match hook_answer(
            ExpiryReason::Session,
            endpoint,
            303,
            Some(IDP),
            headers(h),
        ) {
            HookAnswer::Reply(reply) => reply,
            other => panic!("expected a reply, got {other:?}"),
        };
        for endpoint in [Endpoint::Status, Endpoint::Keepalive] {
            let r = as_data(Some(endpoint), &[("sec-fetch-mode", "navigate")]);
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some(JSON));
            assert_eq!(r.header("cache-control"), Some(NO_STORE));
            assert_eq!(r.header("location"), None);
            assert_eq!(
                r.body,
                r#"{"active":false,"login":"https://idp.example/logout?client_id=shop","reason":"session"}"#
            );
        }
        let fetch = as_data(None, &[("sec-fetch-mode", "cors")]);
        assert_eq!(fetch.status, 401);
        assert_eq!(
            fetch.body,
            r#"{"error":"session_expired","login":"https://idp.example/logout?client_id=shop","reason":"session"}"#
        );
        let htmx = as_data(None, &[("hx-request", "true")]);
        assert_eq!((htmx.status, htmx.header("hx-redirect")), (200, Some(IDP)));
        assert_eq!(htmx.header("cache-control"), Some(NO_STORE));
        assert_eq!(htmx.header("location"), None);
        // A page navigation, with and without Fetch Metadata: as it is.
        for h in [&[][..], &[("sec-fetch-mode", "navigate")]] {
            assert_eq!(
                hook_answer(ExpiryReason::Idle, None, 302, Some(IDP), headers(h)),
                HookAnswer::AsIs
            );
        }
    }

    #[test]
    fn a_hooks_other_answers() {
        let no = headers(&[]);
        // Not a redirect: a Location on a 200 or 201 is no place to go.
        for (status, location) in [(200, None), (200, Some(IDP)), (201, Some(IDP)), (303, None)] {
            for endpoint in [Endpoint::Status, Endpoint::Keepalive] {
                assert_eq!(
                    hook_answer(ExpiryReason::Idle, Some(endpoint), status, location, no),
                    HookAnswer::Usual,
                    "{status} {location:?}"
                );
            }
            for h in [
                &[("sec-fetch-mode", "cors")][..],
                &[("hx-request", "true")],
                &[],
            ] {
                assert_eq!(
                    hook_answer(ExpiryReason::Idle, None, status, location, headers(h)),
                    HookAnswer::AsIs
                );
            }
        }
        assert_eq!(hook_cache_control(false), Some(NO_STORE));
        assert_eq!(hook_cache_control(true), None);
    }

    #[test]
    fn clocks_start_at_the_end_of_a_forgetful_login_only() {
        let c = config();
        let no_limit = Config::builder().build().unwrap();
        assert!(!starts_clocks_at_end(&no_limit, false, true, false));
        assert!(starts_clocks_at_end(&c, false, true, false));
        assert!(
            !starts_clocks_at_end(&c, true, true, false),
            "an active session"
        );
        assert!(
            !starts_clocks_at_end(&c, false, false, false),
            "nobody signed in"
        );
        assert!(
            !starts_clocks_at_end(&c, false, true, true),
            "the login call was made"
        );
    }

    #[test]
    fn the_login_watch_reports_once_and_not_after_a_login() {
        let c = config();
        let watch = LoginWatch::new();
        let no_limit = Config::builder().build().unwrap();
        assert!(!watch.worth_a_look(&no_limit, false), "nothing to time out");
        assert!(watch.worth_a_look(&c, false));
        assert!(
            !watch.worth_a_look(&c, true),
            "the integration starts clocks itself"
        );
        watch.report();
        assert!(watch.reported());
        assert!(!watch.worth_a_look(&c, false));
        let called = LoginWatch::default();
        called.login_called();
        assert!(!called.worth_a_look(&c, false));
        assert!(!called.reported());
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    mod hooks {
        use super::super::super::hook::*;
        use super::*;
        use std::future::{Ready, ready};
        use std::time::Duration;

        const LIMIT: Duration = Duration::from_millis(50);

        async fn run(call: impl FnOnce() -> Ready<Result<Option<u16>, String>>) -> Option<u16> {
            run_hook(ExpiryReason::Idle, LIMIT, call).await
        }

        #[tokio::test]
        async fn the_hooks_answer_or_none() {
            assert_eq!(run(|| ready(Ok(Some(303)))).await, Some(303));
            assert_eq!(run(|| ready(Ok(None))).await, None);
            assert_eq!(run(|| ready(Err("down".into()))).await, None);
        }

        #[tokio::test]
        async fn a_panic_is_the_hooks_failure() {
            // While the future is made, and while it runs.
            assert_eq!(run(|| panic!("made")).await, None);
            let polled = Box::pin(async {
                if LIMIT > Duration::ZERO {
                    panic!("polled");
                }
                Ok(Some(1))
            });
            assert_eq!(run_hook(ExpiryReason::Idle, LIMIT, || polled).await, None);
            let shown = HookPanicked("the logout hook", Box::new("polled")).to_string();
            assert_eq!(shown, "the logout hook panicked: polled");
            let shown = HookPanicked("the logout hook", Box::new(String::from("made"))).to_string();
            assert_eq!(shown, "the logout hook panicked: made");
        }

        #[tokio::test]
        async fn a_hook_that_never_answers_is_given_up() {
            let started = std::time::Instant::now();
            let never = Box::pin(std::future::pending::<Result<Option<u16>, String>>());
            assert_eq!(run_hook(ExpiryReason::Idle, LIMIT, || never).await, None);
            let waited = started.elapsed();
            assert!(waited >= LIMIT && waited < LIMIT * 40, "{waited:?}");
        }
    }
}

mod requests {
    use super::super::*;
    use crate::config::Config;
    use crate::decision::Remaining;
    use crate::decision::{Activity, ExpiryReason, RequestOutcome};

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn passive_requests() {
        let c = Config::builder()
            .idle_time(60)
            .passive_path("/health")
            .build()
            .unwrap();
        let p = |m, path, h: &[(&str, &str)]| activity_of(&c, None, m, path, headers(h));
        assert_eq!(p("GET", "/", &[]), Activity::Counts);
        assert_eq!(p("POST", "/auto-logout/keepalive", &[]), Activity::Counts);
        assert_eq!(p("GET", "/auto-logout/status", &[]), Activity::Passive);
        assert_eq!(p("OPTIONS", "/", &[]), Activity::Passive);
        assert_eq!(p("GET", "/healthz", &[]), Activity::Passive);
        assert_eq!(
            p("GET", "/", &[("x-auto-logout-passive", "1")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/", &[("x-auto-logout-passive", "0")]),
            Activity::Counts
        );
        assert_eq!(
            p("GET", "/", &[("sec-purpose", "prefetch;prerender")]),
            Activity::Passive
        );
        assert_eq!(p("GET", "/", &[("purpose", "prefetch")]), Activity::Passive);
        assert_eq!(
            p("GET", "/favicon.ico", &[("sec-fetch-dest", "image")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/app.css", &[("sec-fetch-dest", "style")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/", &[("sec-fetch-dest", "document")]),
            Activity::Counts
        );
        assert_eq!(
            p("POST", "/api", &[("sec-fetch-dest", "empty")]),
            Activity::Counts
        );
    }

    /// Every combination of the Fetch Metadata headers a request can carry
    /// (and a few no browser sends), with and without `ACTIVITY_NEEDS_USER`.
    #[test]
    fn only_requests_the_user_made_count() {
        let strict = Config::builder().idle_time(60).build().unwrap();
        assert!(strict.activity_needs_user(), "the default");
        let django = Config::builder()
            .idle_time(60)
            .activity_needs_user(false)
            .build()
            .unwrap();
        let sites = [
            None,
            Some("same-origin"),
            Some("none"),
            Some("same-site"),
            Some("cross-site"),
            Some("Same-Origin"),
            Some(" none "),
            Some("other"),
            Some(""),
        ];
        let modes = [
            None,
            Some("navigate"),
            Some("no-cors"),
            Some("cors"),
            Some("same-origin"),
            Some("websocket"),
            Some("NAVIGATE"),
        ];
        let users = [None, Some("?1"), Some("?0"), Some("1"), Some("?1 ")];
        let mut checked = 0;
        for site in sites {
            for mode in modes {
                for user in users {
                    let pairs: Vec<(&str, &str)> = [
                        ("sec-fetch-site", site),
                        ("sec-fetch-mode", mode),
                        ("sec-fetch-user", user),
                    ]
                    .into_iter()
                    .filter_map(|(n, v)| Some((n, v?)))
                    .collect();
                    let site = site.map(|s| s.trim().to_ascii_lowercase());
                    let from_user = match site.as_deref() {
                        None | Some("same-origin") | Some("none") => true,
                        // same-site, cross-site and values no browser sends
                        Some(_) => {
                            mode.is_some_and(|m| m.eq_ignore_ascii_case("navigate"))
                                && user.is_some_and(|u| u.trim() == "?1")
                        }
                    };
                    assert_eq!(made_by_user(headers(&pairs)), from_user, "{pairs:?}");
                    let expected = if from_user {
                        Activity::Counts
                    } else {
                        Activity::Passive
                    };
                    for method in ["GET", "POST"] {
                        assert_eq!(
                            activity_of(&strict, None, method, "/orders", headers(&pairs)),
                            expected,
                            "{method} {pairs:?}"
                        );
                        assert_eq!(
                            activity_of(&django, None, method, "/orders", headers(&pairs)),
                            Activity::Counts,
                            "ACTIVITY_NEEDS_USER false: {method} {pairs:?}"
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, sites.len() * modes.len() * users.len());
    }

    /// The rows of the issue, as a browser sends them.
    #[test]
    fn browser_requests_another_site_makes_are_passive() {
        let c = Config::builder().idle_time(60).build().unwrap();
        let a = |h: &[(&str, &str)]| activity_of(&c, None, "GET", "/orders", headers(h));
        let nav = |site| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
            ]
        };
        let clicked = |site| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
                ("sec-fetch-user", "?1"),
            ]
        };
        // A popup another site re-navigates: no user activation.
        assert_eq!(a(&nav("cross-site")), Activity::Passive);
        assert_eq!(a(&nav("same-site")), Activity::Passive);
        // A link the user clicked on another site.
        assert_eq!(a(&clicked("cross-site")), Activity::Counts);
        assert_eq!(a(&clicked("same-site")), Activity::Counts);
        // The site's own pages, reloads, typed URLs and bookmarks.
        assert_eq!(a(&nav("same-origin")), Activity::Counts);
        assert_eq!(a(&nav("none")), Activity::Counts);
        assert_eq!(a(&clicked("none")), Activity::Counts);
        // fetch(no-cors) from a sibling subdomain, and from anywhere else.
        let fetch = |site, mode| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", mode),
                ("sec-fetch-dest", "empty"),
            ]
        };
        assert_eq!(a(&fetch("same-site", "no-cors")), Activity::Passive);
        assert_eq!(a(&fetch("cross-site", "no-cors")), Activity::Passive);
        assert_eq!(a(&fetch("cross-site", "cors")), Activity::Passive);
        assert_eq!(a(&fetch("same-origin", "cors")), Activity::Counts);
        assert_eq!(a(&fetch("same-origin", "same-origin")), Activity::Counts);
        // A cross-site frame of one of our pages, and a form another site posts.
        assert_eq!(
            a(&[
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "iframe"),
            ]),
            Activity::Passive
        );
        assert_eq!(
            activity_of(
                &c,
                None,
                "POST",
                "/orders",
                headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate")
                ])
            ),
            Activity::Passive
        );
        // Other clients and old browsers: as before.
        assert_eq!(a(&[]), Activity::Counts);
        assert_eq!(a(&[("sec-fetch-mode", "no-cors")]), Activity::Counts);
        // A user's click does not make the other passive rules count.
        let mut prefetch = clicked("cross-site").to_vec();
        prefetch.push(("sec-purpose", "prefetch"));
        assert_eq!(a(&prefetch), Activity::Passive);
        assert_eq!(
            activity_of(&c, None, "HEAD", "/orders", headers(&clicked("none"))),
            Activity::Passive
        );
        assert_eq!(
            activity_of(
                &c,
                None,
                "GET",
                "/auto-logout/status",
                headers(&fetch("same-origin", "cors"))
            ),
            Activity::Passive
        );
    }

    /// `ACTIVITY_NEEDS_USER: false` brings back "every request counts", and
    /// leaves the other passive rules as they are.
    #[test]
    fn the_fallback_counts_what_another_site_makes_the_browser_send() {
        let c = Config::from_json(r#"{"IDLE_TIME": 60, "activity_needs_user": false}"#).unwrap();
        assert!(!c.activity_needs_user());
        for site in ["cross-site", "same-site", "bogus"] {
            let h = [("sec-fetch-site", site), ("sec-fetch-mode", "no-cors")];
            assert_eq!(
                activity_of(&c, None, "GET", "/", headers(&h)),
                Activity::Counts
            );
            assert_eq!(
                activity_of(&c, None, "HEAD", "/", headers(&h)),
                Activity::Passive
            );
            let image = [("sec-fetch-site", site), ("sec-fetch-dest", "image")];
            assert_eq!(
                activity_of(&c, None, "GET", "/", headers(&image)),
                Activity::Passive
            );
        }
        let on = Config::from_json(r#"{"IDLE_TIME": 60, "ACTIVITY_NEEDS_USER": true}"#).unwrap();
        assert!(on.activity_needs_user());
        assert_eq!(on, Config::builder().idle_time(60).build().unwrap());
        assert_ne!(on, c);
    }

    #[test]
    fn the_fallback_key_is_a_boolean() {
        for bad in [r#""false""#, "0", "null", "[]"] {
            let e = Config::from_json(&format!(
                r#"{{"IDLE_TIME": 60, "ACTIVITY_NEEDS_USER": {bad}}}"#
            ))
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("ACTIVITY_NEEDS_USER = {bad} is not allowed: expected true or false")
            );
        }
        let e = Config::from_json(r#"{"ACTIVITY_NEEDS_USER": false, "activity_needs_user": true}"#)
            .unwrap_err();
        assert!(e.to_string().contains("ACTIVITY_NEEDS_USER"), "{e}");
        let e = Config::from_json(r#"{"ACTIVITY_NEEDS_USERS": false}"#).unwrap_err();
        assert!(e.to_string().contains("ACTIVITY_NEEDS_USER"), "{e}");
    }

    #[test]
    fn answers() {
        assert_eq!(answer_expired(headers(&[])), Answer::Redirect);
        assert_eq!(
            answer_expired(headers(&[("sec-fetch-mode", "navigate")])),
            Answer::Redirect
        );
        assert_eq!(
            answer_expired(headers(&[("sec-fetch-mode", "cors")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[("x-requested-with", "XMLHttpRequest")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[("accept", "application/json")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[
                ("hx-request", "true"),
                ("sec-fetch-mode", "cors")
            ])),
            Answer::HtmxRedirect
        );
    }

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(login_location("/login", "/a b"), "/login");
        assert_eq!(login_location("/login?x=1", "/a"), "/login?x=1&next=%2Fa");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\u{0}",
            "/.//evil.example",
            "/a/../..//evil.example",
            "/%2e%2e//evil.example",
            "/a//b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
            assert_eq!(login_location("/login", bad), "/login");
        }
    }

    #[test]
    fn only_the_crates_own_endpoints_are_passive() {
        let c = Config::builder()
            .idle_time(60)
            .endpoint_prefix("/api/")
            .build()
            .unwrap();
        let p = |m, path: &str| activity_of(&c, None, m, path, headers(&[]));
        assert_eq!(p("GET", "/api/status"), Activity::Passive);
        assert_eq!(p("GET", c.script_url()), Activity::Passive);
        assert_eq!(p("GET", c.stylesheet_url()), Activity::Passive);
        assert_eq!(p("POST", "/api/keepalive"), Activity::Counts);
        // The app's own API under the same prefix counts.
        for path in [
            "/api/orders",
            "/api/status/x",
            "/api/statusx",
            "/api/",
            "/api/auto-logout.js",
        ] {
            assert_eq!(p("GET", path), Activity::Counts, "{path}");
            assert_eq!(p("POST", path), Activity::Counts, "{path}");
        }
    }

    const HOST: &str = "shop.example:8080";

    #[test]
    fn page_path_accepts_the_own_host_only() {
        let ok = |url| page_path(url, HOST);
        assert_eq!(ok("http://shop.example:8080/orders"), Some("/orders"));
        assert_eq!(
            ok("https://shop.example:8080/a?b=c&d=%2F"),
            Some("/a?b=c&d=%2F")
        );
        assert_eq!(ok("HTTP://SHOP.example:8080/x#frag"), Some("/x"));
        assert_eq!(ok("http://shop.example:8080"), Some("/"));
        assert_eq!(ok("http://shop.example:8080#f"), Some("/"));
        assert_eq!(
            ok("http://shop.example:8080/%2F%2Fevil.example"),
            Some("/%2F%2Fevil.example")
        );
        assert_eq!(page_path("http://[::1]:3000/p", "[::1]:3000"), Some("/p"));
        assert_eq!(
            page_path("http://xn--bcher-kva.example/p", "xn--bcher-kva.example"),
            Some("/p")
        );
        assert_eq!(
            page_path("http://shop.example/p", " shop.example "),
            Some("/p")
        );
    }

    #[test]
    fn page_path_refuses_hostile_urls() {
        for bad in [
            // another host, or the own host as a prefix or suffix of another
            "http://evil.example/orders",
            "http://shop.example:8080.evil.example/",
            "http://evil.shop.example:8080/",
            "http://shop.example/orders",
            "http://shop.example:80/orders",
            "http://shop.example:08080/orders",
            // userinfo
            "http://shop.example:8080@evil.example/",
            "http://user@shop.example:8080/",
            "http://shop.example:8080:x@evil.example/",
            // protocol-relative, scheme-less, other schemes
            "//shop.example:8080/orders",
            "/orders",
            "orders",
            "shop.example:8080/orders",
            "javascript://shop.example:8080/%0aalert(1)",
            "ftp://shop.example:8080/",
            "http:/shop.example:8080/",
            "http:shop.example:8080/",
            "http:///shop.example:8080/",
            // a path that browsers read as another host
            "http://shop.example:8080//evil.example/",
            "http://shop.example:8080/\\evil.example/",
            "http://shop.example:8080\\@evil.example/",
            "http:\\\\shop.example:8080/",
            // whitespace and control characters, which URL parsers drop or keep
            "http://shop.example:8080/a\tb",
            "http://shop.example:8080/a\nb",
            "http://shop.example:8080/a\rb",
            "http://shop.\texample:8080/",
            "http://shop.example:8080/a b",
            "http://shop.example:8080/\u{0}",
            " http://shop.example:8080/",
            "http://shop.example:8080/\u{7f}",
            // encoded hosts and Unicode
            "http://shop%2Eexample:8080/",
            "http://%73hop.example:8080/",
            "http://shop.example:8080/caf\u{e9}",
            "http://b\u{fc}cher.example/",
            "http://shop\u{3002}example:8080/",
            "",
            "http://",
        ] {
            assert_eq!(page_path(bad, HOST), None, "{bad:?}");
        }
        // A Host that is itself odd matches nothing.
        assert_eq!(page_path("http://a b/", "a b"), None);
        assert_eq!(page_path("http:///x", ""), None);
        assert_eq!(
            page_path("http://b\u{fc}cher.example/", "b\u{fc}cher.example"),
            None
        );
        let long = format!("http://{HOST}/{}", "a".repeat(5000));
        assert_eq!(page_path(&long, HOST), None);
    }

    #[test]
    fn expired_requests_go_back_to_their_page() {
        let login = |answer, h: &[(&str, &str)]| {
            expired_login_location("/login", answer, "/orders/rows?p=2", headers(h))
        };
        let page = [
            ("host", HOST),
            ("hx-current-url", "http://shop.example:8080/orders?p=2"),
        ];
        assert_eq!(
            login(Answer::HtmxRedirect, &page),
            "/login?next=%2Forders%3Fp%3D2"
        );
        // Spoofed, missing or unusable page URL: the htmx request's own path.
        let fallback = "/login?next=%2Forders%2Frows%3Fp%3D2";
        for h in [
            &[("host", HOST), ("hx-current-url", "http://evil.example/x")][..],
            &[("host", HOST), ("hx-current-url", "//evil.example/x")],
            &[
                ("host", HOST),
                ("hx-current-url", "http://shop.example:8080@evil.example/"),
            ],
            &[
                ("host", HOST),
                ("hx-current-url", "http://shop.example:8080//evil.example/"),
            ],
            &[("host", HOST)],
            &[("hx-current-url", "http://shop.example:8080/orders")],
        ] {
            assert_eq!(login(Answer::HtmxRedirect, h), fallback, "{h:?}");
        }
        // A page navigation is its own page, whatever the headers say.
        let spoof = [
            ("host", HOST),
            ("hx-current-url", "http://shop.example:8080/x"),
            ("referer", "http://shop.example:8080/y"),
        ];
        assert_eq!(login(Answer::Redirect, &spoof), fallback);
        // fetch: the Referer page, else no next at all.
        assert_eq!(login(Answer::Unauthorized, &spoof), "/login?next=%2Fy");
        assert_eq!(
            login(
                Answer::Unauthorized,
                &[("host", HOST), ("referer", "https://evil.example/y")]
            ),
            "/login"
        );
        assert_eq!(login(Answer::Unauthorized, &[("host", HOST)]), "/login");
        assert_eq!(
            expired_json_with_login(ExpiryReason::Idle, "/login?next=%2Fy"),
            r#"{"error":"session_expired","login":"/login?next=%2Fy","reason":"idle"}"#
        );
        // An unsafe own path and no usable page: LOGIN_URL alone.
        assert_eq!(
            expired_login_location(
                "/login",
                Answer::HtmxRedirect,
                "//evil.example",
                headers(&[])
            ),
            "/login"
        );
    }

    #[test]
    fn input_ages_are_plain_decimal_milliseconds() {
        for (value, age) in [
            ("0", Some(0)),
            ("1500", Some(1500)),
            (" 1500 ", Some(1500)),
            ("\t7\t", Some(7)),
            ("007", Some(7)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", Some(u32::MAX)),
            ("99999999999999999999999999999999", Some(u32::MAX)),
        ] {
            assert_eq!(input_age_millis(value), age, "{value:?}");
        }
        for hostile in [
            "",
            " ",
            "-1",
            "-0",
            "+5",
            "1.5",
            "1e3",
            "0x10",
            "1_000",
            "1,000",
            "1 000",
            "NaN",
            "Infinity",
            "null",
            "12ms",
            "\u{663}\u{662}",
            "\u{ff11}",
            "1\u{0}",
            "\u{0}",
            "</script>",
        ] {
            assert_eq!(input_age_millis(hostile), None, "{hostile:?}");
        }
    }

    /// Hostile `X-Auto-Logout-Input-Age` values, listed and random: never a
    /// panic, and the recorded last activity stays between the stored one
    /// and `now`, so no value makes a session last longer than a keepalive
    /// without the header.
    #[test]
    fn no_input_age_extends_a_session_beyond_now() {
        let c = Config::builder().idle_time(60).build().unwrap();
        let stored_at = 1_700_000_000_000;
        let stored = crate::Stamps::new(
            crate::Timestamp::from_unix_millis(stored_at),
            crate::Timestamp::from_unix_millis(stored_at),
        )
        .unwrap()
        .encode();
        let now_ms = stored_at + 30_000;
        let now = crate::Timestamp::from_unix_millis(now_ms);
        let mut values: Vec<String> = [
            "",
            "-30000",
            "-1",
            "-9223372036854775808",
            "18446744073709551616",
            "0",
            "1",
            "29999",
            "30000",
            "30001",
            "NaN",
            "1e300",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        values.push("9".repeat(10_000));
        values.push("-".repeat(10_000));
        // Random strings from a small alphabet of digits and troublemakers.
        let alphabet: Vec<char> = "0123456789-+.eE x\u{0}\u{663}".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let mut value = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for _ in 0..(seed >> 60) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                value.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            values.push(value);
        }
        for value in &values {
            let activity = keepalive_activity(Activity::Counts, |name| {
                (name == INPUT_AGE_HEADER).then_some(value.as_str())
            });
            assert!(activity.counts(), "{value:?}");
            let last = match c.check_request(Some(&stored), now, activity) {
                RequestOutcome::Active { write: Some(s), .. } => s.last_activity_at(),
                RequestOutcome::Active { write: None, .. } => {
                    crate::Timestamp::from_unix_millis(stored_at)
                }
                other => panic!("{value:?}: {other:?}"),
            };
            let last = last.as_unix_millis();
            assert!(
                (stored_at..=now_ms).contains(&last),
                "{value:?}: last activity {last}"
            );
            // As the header says, when it is a plain number within the clamp.
            if let Some(age) = input_age_millis(value)
                && i64::from(age) <= 30_000 - 600
            {
                assert_eq!(last, now_ms - i64::from(age), "{value:?}");
            }
        }
        // Without the header, and for a passive request, the header changes nothing.
        assert_eq!(
            keepalive_activity(Activity::Counts, |_: &str| None),
            Activity::Counts
        );
        assert_eq!(
            keepalive_activity(Activity::Passive, |_: &str| Some("0")),
            Activity::Passive
        );
    }

    #[test]
    fn status_bodies() {
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1500), None),
            write: None,
        };
        assert_eq!(
            status_json(&active),
            r#"{"active":true,"idle_ms":1500,"locked":false,"seconds_until_idle_end":2,"seconds_until_session_end":0,"session_ms":null}"#
        );
        let locked = RequestOutcome::Locked {
            remaining: Remaining::new(Some(1500), None),
        };
        assert_eq!(
            status_json(&locked),
            r#"{"active":true,"idle_ms":1500,"locked":true,"seconds_until_idle_end":2,"seconds_until_session_end":0,"session_ms":null}"#
        );
        assert_eq!(
            status_json(&RequestOutcome::Expired(ExpiryReason::Session)),
            r#"{"active":false,"reason":"session"}"#
        );
        assert_eq!(
            status_json(&RequestOutcome::Untracked),
            r#"{"active":false,"reason":null}"#
        );
    }
}

/// `LOCK_AFTER`: when a session locks (an injected clock: instants in
/// milliseconds), what its requests are answered, and what unlocks it.
mod locked {
    use super::super::*;
    use crate::clock::Timestamp;
    use crate::config::Config;
    use crate::decision::{Activity, ExpiryReason, RequestOutcome};
    use crate::stamps::Stamps;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_700_000_000_000 + ms)
    }

    fn config() -> Config {
        Config::builder()
            .idle_time(900)
            .lock_after(300)
            .session_time(3_600)
            .login_url("/login")
            .build()
            .unwrap()
    }

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + Copy {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn a_session_locks_at_lock_after_and_still_ends_at_idle_time() {
        let c = config();
        let stored = Stamps::at_login(t(0)).encode();
        let at = |ms, activity| c.check_request(Some(&stored), t(ms), activity);
        // One millisecond before LOCK_AFTER: active, and the request counts.
        assert!(matches!(
            at(299_999, Activity::Counts),
            RequestOutcome::Active { write: Some(_), .. }
        ));
        // At LOCK_AFTER: locked, with the idle limit's time left, and
        // nothing recorded, whatever the request.
        for activity in [
            Activity::Counts,
            Activity::Passive,
            Activity::Earlier { millis_ago: 5 },
        ] {
            let RequestOutcome::Locked { remaining } = at(300_000, activity) else {
                panic!("not locked at LOCK_AFTER ({activity:?})");
            };
            assert_eq!(remaining.idle_millis(), Some(600_000));
            assert_eq!(remaining.session_millis(), Some(3_300_000));
        }
        assert!(matches!(
            at(900_000, Activity::Counts),
            RequestOutcome::Locked { .. }
        ));
        // IDLE_TIME still logs a locked session out.
        assert_eq!(
            at(900_001, Activity::Counts),
            RequestOutcome::Expired(ExpiryReason::Idle)
        );
        // Without LOCK_AFTER the same session is active until IDLE_TIME.
        let plain = Config::builder().idle_time(900).build().unwrap();
        assert!(matches!(
            plain.check_request(Some(&stored), t(899_000), Activity::Counts),
            RequestOutcome::Active { .. }
        ));
    }

    #[test]
    fn the_lock_counts_from_the_last_activity() {
        let c = config();
        let stored = Stamps::new(t(0), t(100_000)).unwrap().encode();
        assert!(matches!(
            c.check_request(Some(&stored), t(399_999), Activity::Passive),
            RequestOutcome::Active { .. }
        ));
        assert!(matches!(
            c.check_request(Some(&stored), t(400_000), Activity::Passive),
            RequestOutcome::Locked { .. }
        ));
    }

    #[test]
    fn a_session_whose_own_idle_limit_is_shorter_is_logged_out_unlocked() {
        let c = Config::builder()
            .idle_time(900)
            .lock_after(300)
            .build()
            .unwrap();
        let stored = Stamps::at_login(t(0))
            .with_limits(Some(200_000), None)
            .unwrap()
            .encode();
        assert!(matches!(
            c.check_request(Some(&stored), t(200_000), Activity::Counts),
            RequestOutcome::Active { .. }
        ));
        assert_eq!(
            c.check_request(Some(&stored), t(200_001), Activity::Counts),
            RequestOutcome::Expired(ExpiryReason::Idle)
        );
    }

    #[test]
    fn every_request_kind_is_refused_but_status_passive_and_the_login_page() {
        let c = config();
        let page = headers(&[]);
        let reply = locked_reply(&c, None, Activity::Counts, "/orders", page).unwrap();
        assert_eq!(reply.status, 423);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert!(reply.body.contains("Session locked"));
        let fetch = headers(&[("sec-fetch-mode", "cors")]);
        let reply = locked_reply(&c, None, Activity::Counts, "/api/orders", fetch).unwrap();
        assert_eq!((reply.status, &*reply.body), (423, LOCKED_JSON));
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        let htmx = headers(&[("hx-request", "true")]);
        let reply = locked_reply(&c, None, Activity::Counts, "/rows", htmx).unwrap();
        assert_eq!((reply.status, &*reply.body), (423, LOCKED_JSON));
        assert_eq!(reply.header("hx-trigger"), Some(HTMX_LOCKED_EVENT));
        assert_eq!(reply.header("hx-reswap"), Some("none"));
        let keepalive = Some(Endpoint::Keepalive);
        let reply = locked_reply(
            &c,
            keepalive,
            Activity::Counts,
            "/auto-logout/keepalive",
            page,
        )
        .unwrap();
        assert_eq!((reply.status, &*reply.body), (423, LOCKED_JSON));
        // What goes on: the status endpoint (it says "locked"), passive
        // requests, the login page.
        let status = Some(Endpoint::Status);
        assert_eq!(
            locked_reply(&c, status, Activity::Passive, "/auto-logout/status", page),
            None
        );
        assert_eq!(
            locked_reply(&c, None, Activity::Passive, "/static/app.css", page),
            None
        );
        assert_eq!(
            locked_reply(&c, None, Activity::Counts, "/login", page),
            None
        );
    }
}
