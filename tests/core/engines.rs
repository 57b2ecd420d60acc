//! The template-engine integrations against real engines: Tera 2, Tera 1,
//! MiniJinja 3 and Askama 0.16 render the example pages in
//! `examples/templates/` (all `.html`: autoescaping on) for one shared table
//! of contexts.

mod support;

use auto_logout::askama::AutoLogoutTemplate;
use auto_logout::{Config, Remaining, TemplateContext};
use support::{ENGINES, Engine, Engines, JsCheck, cases, escape, expected_var_lines, take_apart};

#[test]
fn every_engine_renders_the_core_bytes_for_every_case() {
    let engines = Engines::new();
    let mut js = JsCheck::default();
    for case in cases() {
        let values = case.context();
        let core_tag = values.redirect_to_login_immediately().to_string();
        let mut skeletons = Vec::new();
        for engine in ENGINES {
            let page = engines.render(engine, &case.app, &values);
            let parts = take_apart(engine, &page, &case.app);
            let at = format!("{engine:?}, case {:?}", case.name);
            assert_eq!(
                parts.tag, core_tag,
                "{at}: script tag differs from the core's"
            );
            assert_eq!(
                parts.var_lines,
                expected_var_lines(&values),
                "{at}: numbers differ from the core's"
            );
            js.add(&at, &parts.var_lines);
            skeletons.push((engine, parts));
        }
        // Across engines: same tag, same numbers, and once the app's own
        // (engine-escaped) texts are set aside, the same page byte for byte.
        let (first, reference) = &skeletons[0];
        for (engine, parts) in &skeletons[1..] {
            assert_eq!(
                parts.tag, reference.tag,
                "{engine:?} vs {first:?}: {}",
                case.name
            );
            assert_eq!(
                parts.var_lines, reference.var_lines,
                "{engine:?}: {}",
                case.name
            );
            assert_eq!(
                parts.skeleton, reference.skeleton,
                "{engine:?} vs {first:?}: pages differ beyond escaping, case {:?}",
                case.name
            );
        }
    }
    js.run("the rendered `var ... = ...;` lines");
}

#[test]
fn hostile_values_never_appear_unescaped_and_the_tag_is_never_double_escaped() {
    let engines = Engines::new();
    let mut checked = 0;
    for case in cases().into_iter().filter(|c| !c.hostile.is_empty()) {
        let values = case.context();
        let core_tag = values.redirect_to_login_immediately().to_string();
        assert!(!core_tag.is_empty());
        for engine in ENGINES {
            let page = engines.render(engine, &case.app, &values);
            let at = format!("{engine:?}, case {:?}", case.name);
            for text in &case.hostile {
                assert!(
                    !page.contains(text.as_str()),
                    "{at}: {text:?} appears unescaped"
                );
            }
            // Exactly the page's own script block plus the tag: nothing broke out.
            assert_eq!(page.matches("<script").count(), 2, "{at}");
            assert_eq!(page.matches("</script>").count(), 2, "{at}");
            assert_eq!(page.matches("<!--").count(), 0, "{at}");
            // The tag is the core's bytes: its attributes are escaped exactly once.
            assert_eq!(page.matches(core_tag.as_str()).count(), 1, "{at}");
            assert!(!core_tag.contains("&amp;lt;") && !core_tag.contains("&amp;quot;"));
            // The app's texts are escaped exactly once, by the engine.
            for message in &case.app.messages {
                let item = format!("<li class=\"message\">{}</li>", escape(engine, message));
                assert!(
                    page.contains(&item),
                    "{at}: message not escaped once:\n{page}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8, "two hostile cases through four engines");
}

#[test]
fn autoescaping_is_on_in_every_test_template() {
    let engines = Engines::new();
    let config = Config::builder().idle_time(60).build().unwrap();
    let values = config.context(Remaining::new(Some(60_000), None));
    let app = support::App {
        title: "t".to_owned(),
        user: "<i>probe</i>".to_owned(),
        messages: vec!["<u>flash</u>".to_owned()],
    };
    for engine in ENGINES {
        let page = engines.render(engine, &app, &values);
        assert!(
            !page.contains("<i>") && !page.contains("<u>"),
            "{engine:?}:\n{page}"
        );
        assert!(page.contains(&escape(engine, "<i>probe</i>")), "{engine:?}");
        assert_ne!(escape(engine, "<i>"), "<i>", "{engine:?} escapes");
    }
}

#[test]
fn tera1_without_the_safe_filter_escapes_the_tag_into_inert_text() {
    let config = Config::builder()
        .idle_time(600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let values = config.context(Remaining::new(Some(600_000), None));
    let mut tera = tera1::Tera::default();
    tera.add_raw_template("p.html", "{{ redirect_to_login_immediately }}")
        .unwrap();
    let mut ctx = tera1::Context::new();
    auto_logout::tera1::insert(&mut ctx, &values);
    let page = tera.render("p.html", &ctx).unwrap();
    assert!(
        page.starts_with("&lt;script data-auto-logout"),
        "{page:.80}"
    );
    assert!(!page.contains('<'));
}

#[test]
fn tera2_function_renders_the_same_tag_and_explains_misuse() {
    let config = Config::builder()
        .idle_time(600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let values = config.context(Remaining::new(Some(600_000), None));
    let mut tera = tera::Tera::new();
    auto_logout::tera::register(&mut tera);
    tera.add_raw_template("f.html", "{{ auto_logout_script() }}")
        .unwrap();
    tera.add_raw_template(
        "v.html",
        "{{ redirect_to_login_immediately }}|{{ seconds_until_idle_end }}",
    )
    .unwrap();
    tera.add_raw_template("args.html", "{{ auto_logout_script(x=1) }}")
        .unwrap();

    let mut ctx = tera::Context::new();
    auto_logout::tera::insert(&mut ctx, &values);
    let tag = values.redirect_to_login_immediately().to_string();
    assert_eq!(tera.render("f.html", &ctx).unwrap(), tag);
    assert_eq!(tera.render("v.html", &ctx).unwrap(), format!("{tag}|600"));

    // A page without per-request values gets the anonymous defaults.
    let empty = tera::Context::new();
    assert_eq!(tera.render("f.html", &empty).unwrap(), "");
    assert_eq!(tera.render("v.html", &empty).unwrap(), "|0");

    // An app value of the same name is not passed through as safe.
    let mut shadowed = tera::Context::new();
    shadowed.insert("redirect_to_login_immediately", "<b>x</b>");
    let err = format!("{:?}", tera.render("f.html", &shadowed).unwrap_err());
    assert!(err.contains("not the auto-logout script tag"), "{err}");

    let err = format!("{:?}", tera.render("args.html", &ctx).unwrap_err());
    assert!(err.contains("takes no arguments"), "{err}");
}

#[test]
fn minijinja_function_renders_the_same_tag_and_explains_misuse() {
    let config = Config::builder()
        .session_time(3600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let values = config.context(Remaining::new(None, Some(3_600_000)));
    let mut env = minijinja::Environment::new();
    auto_logout::minijinja::register(&mut env);
    env.add_template("f.html", "{{ auto_logout_script() }}")
        .unwrap();
    env.add_template(
        "v.html",
        "{{ redirect_to_login_immediately }}|{{ seconds_until_session_end }}",
    )
    .unwrap();
    let tag = values.redirect_to_login_immediately().to_string();
    let f = env.get_template("f.html").unwrap();
    let v = env.get_template("v.html").unwrap();

    let ctx = auto_logout::minijinja::values(&values);
    assert_eq!(f.render(&ctx).unwrap(), tag);
    assert_eq!(v.render(&ctx).unwrap(), format!("{tag}|3600"));
    // Merged with the app's values, as `context!` does.
    let merged = minijinja::context! { user => "ada", ..auto_logout::minijinja::values(&values) };
    assert_eq!(f.render(&merged).unwrap(), tag);

    // The map lists its keys, so it can be iterated and inspected.
    let keys: Vec<String> = ctx.try_iter().unwrap().map(|k| k.to_string()).collect();
    assert_eq!(
        keys,
        [
            "seconds_until_idle_end",
            "seconds_until_session_end",
            "redirect_to_login_immediately"
        ]
    );

    // A page without per-request values gets the anonymous defaults.
    assert_eq!(f.render(()).unwrap(), "");
    assert_eq!(v.render(()).unwrap(), "|0");

    // An app value of the same name is not passed through as safe.
    let err = f
        .render(minijinja::context! { redirect_to_login_immediately => "<b>x</b>" })
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the auto-logout script tag"), "{err}");
}

#[test]
fn askama_tag_is_html_safe_and_safe_filter_changes_nothing() {
    #[derive(askama::Template)]
    #[template(
        ext = "html",
        source = "{{ redirect_to_login_immediately() }}|{{ redirect_to_login_immediately()|safe }}|{{ self.auto_logout.redirect_to_login_immediately() }}"
    )]
    struct Page<'a> {
        auto_logout: TemplateContext<'a>,
    }
    impl AutoLogoutTemplate for Page<'_> {
        fn auto_logout(&self) -> TemplateContext<'_> {
            self.auto_logout
        }
    }
    let config = Config::builder()
        .idle_time(600)
        .login_url("/login?a=1&b=\"2\"")
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let values = config.context(Remaining::new(Some(600_000), None));
    let tag = values.redirect_to_login_immediately().to_string();
    assert!(tag.contains("&amp;b=&quot;2&quot;"));
    let page = askama::Template::render(&Page {
        auto_logout: values,
    })
    .unwrap();
    assert_eq!(page, format!("{tag}|{tag}|{tag}"));

    // Anonymous: nothing, zeros.
    let page = Page {
        auto_logout: TemplateContext::anonymous(),
    };
    assert_eq!(askama::Template::render(&page).unwrap(), "||");
    assert_eq!(page.seconds_until_idle_end(), 0);
    assert_eq!(page.seconds_until_session_end(), 0);
}

// ---- custom delimiters (`[[ ]]`, `[% %]`, `[# #]`): one test per engine that supports them (Tera 1 does not) ----

const BRACKETS_PAGE: &str = "[# the same page, other delimiters #]\
<ul>[% for message in messages %]<li class=\"message\">[[ message ]]</li>[% endfor %]</ul>
<script>
var sessionEnd = [[ seconds_until_session_end ]];
var idleEnd = [[ seconds_until_idle_end ]];
</script>
[[ redirect_to_login_immediately ]]";

fn brackets_case() -> (Config, Remaining) {
    let config = Config::builder()
        .idle_time(600)
        .session_time(3600)
        .login_url("/login?next=</script>")
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    (config, Remaining::new(Some(599_001), Some(3_599_001)))
}

fn brackets_expected(engine: Engine, values: &TemplateContext<'_>, message: &str) -> String {
    format!(
        "<ul><li class=\"message\">{}</li></ul>
<script>
var sessionEnd = {};
var idleEnd = {};
</script>
{}",
        escape(engine, message),
        values.seconds_until_session_end(),
        values.seconds_until_idle_end(),
        values.redirect_to_login_immediately()
    )
}

const BRACKETS_MESSAGE: &str = "[[ not a tag ]] & [% not a block %]";

#[test]
fn custom_delimiters_minijinja() {
    let (config, remaining) = brackets_case();
    let values = config.context(remaining);
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[[", "]]")
            .comment_delimiters("[#", "#]")
            .build()
            .unwrap(),
    );
    auto_logout::minijinja::register(&mut env);
    env.add_template("brackets.html", BRACKETS_PAGE).unwrap();
    let page = env
        .get_template("brackets.html")
        .unwrap()
        .render(minijinja::context! {
            messages => vec![BRACKETS_MESSAGE],
            ..auto_logout::minijinja::values(&values),
        })
        .unwrap();
    assert_eq!(
        page,
        brackets_expected(Engine::MiniJinja, &values, BRACKETS_MESSAGE)
    );
}

#[test]
fn custom_delimiters_tera2() {
    let (config, remaining) = brackets_case();
    let values = config.context(remaining);
    let mut tera = tera::Tera::new();
    tera.set_delimiters(tera::Delimiters {
        block_start: "[%".into(),
        block_end: "%]".into(),
        variable_start: "[[".into(),
        variable_end: "]]".into(),
        comment_start: "[#".into(),
        comment_end: "#]".into(),
    })
    .unwrap();
    auto_logout::tera::register(&mut tera);
    tera.add_raw_template("brackets.html", BRACKETS_PAGE)
        .unwrap();
    let mut ctx = tera::Context::new();
    ctx.insert("messages", &[BRACKETS_MESSAGE]);
    auto_logout::tera::insert(&mut ctx, &values);
    let page = tera.render("brackets.html", &ctx).unwrap();
    assert_eq!(
        page,
        brackets_expected(Engine::Tera2, &values, BRACKETS_MESSAGE)
    );
}

#[test]
fn custom_delimiters_askama() {
    #[derive(askama::Template)]
    #[template(
        ext = "html",
        syntax = "brackets",
        config = "tests/core/engines/askama.toml",
        source = "[# the same page, other delimiters #]\
<ul>[% for message in messages %]<li class=\"message\">[[ message ]]</li>[% endfor %]</ul>
<script>
var sessionEnd = [[ seconds_until_session_end() ]];
var idleEnd = [[ seconds_until_idle_end() ]];
</script>
[[ redirect_to_login_immediately() ]]"
    )]
    struct Brackets<'a> {
        messages: &'a [&'a str],
        auto_logout: TemplateContext<'a>,
    }
    impl AutoLogoutTemplate for Brackets<'_> {
        fn auto_logout(&self) -> TemplateContext<'_> {
            self.auto_logout
        }
    }
    let (config, remaining) = brackets_case();
    let values = config.context(remaining);
    let page = askama::Template::render(&Brackets {
        messages: &[BRACKETS_MESSAGE],
        auto_logout: values,
    })
    .unwrap();
    assert_eq!(
        page,
        brackets_expected(Engine::Askama, &values, BRACKETS_MESSAGE)
    );
}

#[test]
fn node_check_catches_the_line_django_writes_for_anonymous_users() {
    // Proves the check above has teeth: Django renders `var idleEnd = ;`.
    // Without node this skips loudly, and fails under AUTO_LOGOUT_REQUIRE_E2E=1.
    if !support::node_or_skip("the line Django writes for anonymous users") {
        return;
    }
    let mut broken = JsCheck::default();
    broken.add("django, anonymous", &["var idleEnd = ;".to_owned()]);
    let refusal = broken
        .check("a broken line")
        .expect_err("node --check accepted `var idleEnd = ;`");
    assert!(refusal.contains("SyntaxError"), "{refusal}");
    // The same check accepts the line this crate renders in that case.
    let mut fine = JsCheck::default();
    fine.add("auto-logout, anonymous", &["var idleEnd = 0;".to_owned()]);
    fine.check("a valid line").unwrap();
}

#[test]
fn minijinja_context_written_key_by_key_renders_the_same_page() {
    let engines = Engines::new();
    let template = engines.minijinja.get_template("page.html").unwrap();
    for case in cases() {
        let values = case.context();
        let merged = engines.render(Engine::MiniJinja, &case.app, &values);
        let keys = template
            .render(minijinja::context! {
                title => case.app.title.clone(),
                user => case.app.user.clone(),
                messages => case.app.messages.clone(),
                seconds_until_idle_end => values.seconds_until_idle_end(),
                seconds_until_session_end => values.seconds_until_session_end(),
                redirect_to_login_immediately => auto_logout::minijinja::script_tag(&values),
            })
            .unwrap();
        assert_eq!(keys, merged, "case {:?}", case.name);
    }
}

// ---- allocations: the glue adds none beyond what each engine makes itself ----

// The configuration of the core's own allocation counts.
use crate::allocations::config as allocation_config;
use crate::counting_alloc::allocations_during;

#[test]
fn tera2_glue_allocates_only_the_string_tera_keeps() {
    let config = allocation_config();
    let remaining = Remaining::new(Some(600_000), Some(3_600_000));
    for (values, expected) in [
        (config.context(remaining), 1), // the tag's Arc<str> inside tera::Value
        (config.context(remaining).external(), 1),
        (TemplateContext::anonymous(), 0), // empty: an inline string
    ] {
        let mut ctx = tera::Context::new();
        auto_logout::tera::insert(&mut ctx, &values); // keys exist, buffer warm
        let (n, ()) = allocations_during(|| auto_logout::tera::insert(&mut ctx, &values));
        assert_eq!(n, expected, "{values:?}");
        // What Tera itself allocates for the same safe string.
        let tag = values.redirect_to_login_immediately().to_string();
        let (by_hand, _) = allocations_during(|| tera::Value::safe_string(&tag));
        assert_eq!(n, by_hand);
    }
}

#[test]
fn tera1_glue_allocates_only_what_tera1_keeps() {
    let config = allocation_config();
    let values = config.context(Remaining::new(Some(600_000), Some(3_600_000)));
    let mut ctx = tera1::Context::new();
    auto_logout::tera1::insert(&mut ctx, &values); // buffer warm
    let (n, ()) = allocations_during(|| auto_logout::tera1::insert(&mut ctx, &values));
    // Tera 1 keys are Strings (3) and the tag is a serde_json String (1).
    assert_eq!(n, 4);
}

#[test]
fn minijinja_glue_allocates_only_what_minijinja_requires() {
    let config = allocation_config();
    let values = config.context(Remaining::new(Some(600_000), Some(3_600_000)));
    // The map object (1); the tag: the String MiniJinja's API takes (1), sized
    // exactly, and the Arc<str> it copies it into (1).
    let (n, _) = allocations_during(|| auto_logout::minijinja::values(&values));
    assert_eq!(n, 3);
    let (n, _) = allocations_during(|| auto_logout::minijinja::script_tag(&values));
    assert_eq!(n, 2);
    let (n, _) =
        allocations_during(|| auto_logout::minijinja::values(&TemplateContext::anonymous()));
    assert_eq!(n, 1, "anonymous: the map only");
}

#[test]
fn askama_glue_allocates_nothing() {
    #[derive(askama::Template)]
    #[template(
        ext = "html",
        source = "var sessionEnd = {{ seconds_until_session_end() }};\
var idleEnd = {{ seconds_until_idle_end() }};{{ redirect_to_login_immediately() }}"
    )]
    struct Page<'a> {
        auto_logout: TemplateContext<'a>,
    }
    impl AutoLogoutTemplate for Page<'_> {
        fn auto_logout(&self) -> TemplateContext<'_> {
            self.auto_logout
        }
    }
    let config = allocation_config();
    let page = Page {
        auto_logout: config.context(Remaining::new(Some(600_000), Some(3_600_000))),
    };
    let mut out = String::with_capacity(64 * 1024);
    let (n, result) = allocations_during(|| askama::Template::render_into(&page, &mut out));
    result.unwrap();
    assert_eq!(n, 0);
    assert!(out.ends_with("</script>"));
}
