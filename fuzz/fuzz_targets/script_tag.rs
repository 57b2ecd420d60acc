//! The script tag with arbitrary configured texts, read back by an HTML parser.
//!
//! Every form: inline, inline with the endpoints, external (`src=`), each with
//! or without a nonce and with or without the page's own warning texts
//! (`PageTexts`), and the tag for the page after a sign-out.
//!
//! Whatever the texts, the rendered tag parses (html5ever, through `scraper`)
//! as exactly one `script` element, the page around it is intact, and its
//! attributes are exactly the ones the crate means to write, each holding the
//! configured value. A nonce is accepted only when it is base64 text, so no
//! quote, `<`, `>`, `&` or space ever reaches the tag unescaped.
#![no_main]

use std::collections::BTreeMap;
use std::time::Duration;

use arbitrary::Arbitrary;
use auto_logout::PageTexts;
use auto_logout::{Config, Nonce, Remaining, RequestOutcome, WarningTexts, assets};
use libfuzzer_sys::fuzz_target;
use scraper::{Html, Selector};

#[derive(Arbitrary, Debug)]
struct Input {
    idle_secs: Option<u16>,
    session_secs: Option<u16>,
    warn_secs: Option<u8>,
    immediately: bool,
    login_url: Option<Text>,
    prefix: Option<Vec<u8>>,
    message: Option<Text>,
    title: Option<Text>,
    idle_text: Option<Text>,
    session_text: Option<Text>,
    stay_label: Option<Text>,
    class: Option<Vec<u8>>,
    client_activity: bool,
    warn_stylesheet: Option<bool>,
    /// The page's own texts, in place of the configured ones.
    page_texts: Option<[Option<Text>; 4]>,
    remaining_idle: Option<i64>,
    remaining_session: Option<i64>,
    form: Form,
    through_outcome: bool,
    nonce: Option<String>,
}

/// A configured text: anything, or anything after a string known to break
/// naive escaping.
#[derive(Arbitrary, Debug)]
enum Text {
    Any(String),
    Hostile(u8, String, u8),
}

const HOSTILE: [&str; 14] = [
    "</script>",
    "</SCRIPT ",
    "<!--",
    "-->",
    "<script>",
    "\"",
    "'",
    "&quot;",
    "&",
    "&#0;",
    "\u{2028}",
    "\u{2029}",
    "=\"x\" onload=\"alert(1)",
    ">",
];

impl Text {
    fn text(&self) -> String {
        match self {
            Text::Any(s) => s.clone(),
            Text::Hostile(a, s, b) => {
                let pick = |i: &u8| HOSTILE[usize::from(*i) % HOSTILE.len()];
                format!("{}{s}{}", pick(a), pick(b))
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Form {
    Inline,
    InlineWithEndpoints,
    External,
    /// `Config::signed_out_script`, inline.
    SignedOut,
    /// `Config::signed_out_script().external()`.
    SignedOutExternal,
    /// `Config::signed_out_context().external()`.
    SignedOutContext,
}

/// Bytes mapped onto an alphabet, so prefixes and class names are often valid.
fn word(bytes: &[u8], alphabet: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect()
}

fuzz_target!(|input: Input| {
    // Nonces: accepted exactly when they are 1 to 256 characters of base64(url).
    let nonce = input.nonce.as_deref().and_then(|text| {
        let base64 = !text.is_empty()
            && text.len() <= 256
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b));
        let checked = Nonce::new(text);
        assert_eq!(checked.is_ok(), base64, "nonce {text:?}: {checked:?}");
        if let Ok(n) = checked {
            assert!(
                !n.as_str()
                    .contains(['"', '\'', '<', '>', '&', ' ', '\t', '\n'])
            );
        }
        checked.ok()
    });

    let mut b = Config::builder().redirect_to_login_immediately(input.immediately);
    if let Some(s) = input.idle_secs {
        b = b.idle_time(u64::from(s) + 1);
    }
    if let Some(s) = input.session_secs {
        b = b.session_time(u64::from(s) + 1);
    }
    if let Some(s) = input.warn_secs {
        b = b.warn_before(Duration::from_secs(u64::from(s) + 1));
    }
    if let Some(u) = &input.login_url {
        b = b.login_url(format!("/{}", u.text()));
    }
    if let Some(p) = &input.prefix {
        b = b.endpoint_prefix(format!("/{}/", word(p, b"az09-_./")));
    }
    if let Some(m) = &input.message {
        b = b.message(m.text());
    }
    let texts = WarningTexts {
        title: input.title.as_ref().map(Text::text),
        idle_text: input.idle_text.as_ref().map(Text::text),
        session_text: input.session_text.as_ref().map(Text::text),
        stay_label: input.stay_label.as_ref().map(Text::text),
        class: input.class.as_deref().map(|c| word(c, b"aZ_-09")),
    };
    b = b.client_activity(input.client_activity);
    if let Some(on) = input.warn_stylesheet {
        b = b.warn_stylesheet(on);
    }
    let Ok(config) = b.warning_texts(texts.clone()).build() else {
        return;
    };

    let remaining = Remaining::new(input.remaining_idle, input.remaining_session);
    let ctx = if input.through_outcome {
        config.context_for(&RequestOutcome::Active {
            remaining,
            write: None,
        })
    } else {
        config.context(remaining)
    };
    let page: Option<[Option<String>; 4]> = input
        .page_texts
        .as_ref()
        .map(|texts| texts.each_ref().map(|t| t.as_ref().map(Text::text)));
    let page_texts = page.as_ref().map(|[title, idle, session, stay]| PageTexts {
        title: title.as_deref(),
        idle_text: idle.as_deref(),
        session_text: session.as_deref(),
        stay_label: stay.as_deref(),
    });
    let signed_out = matches!(
        input.form,
        Form::SignedOut | Form::SignedOutExternal | Form::SignedOutContext
    );
    let external = matches!(
        input.form,
        Form::External | Form::SignedOutExternal | Form::SignedOutContext
    );
    let tag = if input.form == Form::SignedOutContext {
        let ctx = config.signed_out_context().external();
        assert_eq!(ctx.seconds_until_idle_end(), 0);
        assert_eq!(ctx.seconds_until_session_end(), 0);
        let ctx = match nonce {
            Some(n) => ctx.with_nonce(n),
            None => ctx,
        };
        ctx.redirect_to_login_immediately()
    } else if signed_out {
        let tag = config.signed_out_script();
        let tag = if external { tag.external() } else { tag };
        match nonce {
            Some(n) => tag.with_nonce(n),
            None => tag,
        }
    } else {
        let ctx = match input.form {
            Form::InlineWithEndpoints => ctx.with_endpoints(),
            Form::External => ctx.external(),
            _ => ctx,
        };
        let ctx = match nonce {
            Some(n) => ctx.with_nonce(n),
            None => ctx,
        };
        let ctx = match page_texts {
            Some(t) => ctx.with_texts(t),
            None => ctx,
        };
        ctx.redirect_to_login_immediately()
    };
    let html = tag.to_string();
    let renders = config.redirect_to_login_immediately() && (signed_out || config.has_limit());
    if !renders {
        assert!(html.is_empty() && tag.is_empty(), "{html}");
        return;
    }
    assert!(!tag.is_empty());
    assert_eq!(tag.is_signed_out(), signed_out);

    // What the tag must say, attribute by attribute (the scope is checked apart).
    let mut expected: BTreeMap<&str, String> = BTreeMap::new();
    expected.insert("data-auto-logout", String::new());
    if signed_out {
        expected.insert("data-signed-out", String::new());
    } else {
        if let Some(ms) = remaining.idle_millis() {
            expected.insert("data-idle-ms", ms.to_string());
        }
        if let Some(ms) = remaining.session_millis() {
            expected.insert("data-session-ms", ms.to_string());
        }
        if let Some(d) = config.idle_time() {
            expected.insert("data-idle-limit-ms", d.as_millis().to_string());
        }
        if let Some(d) = config.session_time() {
            expected.insert("data-session-limit-ms", d.as_millis().to_string());
        }
        if let Some(d) = config.warn_before() {
            expected.insert("data-warn-ms", d.as_millis().to_string());
        }
        if let Some(url) = config.login_url() {
            expected.insert("data-login-url", url.to_owned());
        }
        // A page's own text replaces the configured one (texts are only
        // written when a warning is configured).
        let page = |i: usize| page.as_ref().and_then(|p| p[i].clone());
        let warning = config.warn_before().is_some();
        for (i, (name, value)) in [
            ("data-warn-title", &texts.title),
            ("data-warn-idle-text", &texts.idle_text),
            ("data-warn-session-text", &texts.session_text),
            ("data-warn-stay-label", &texts.stay_label),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = page(i).filter(|_| warning).or_else(|| value.clone()) {
                expected.insert(name, v);
            }
        }
        if let Some(class) = &texts.class {
            expected.insert("data-warn-class", class.clone());
        }
        if input.form != Form::Inline {
            let prefix = config.endpoint_prefix();
            expected.insert("data-status-url", format!("{prefix}status"));
            expected.insert("data-keepalive-url", format!("{prefix}keepalive"));
            if config.client_activity() {
                expected.insert("data-client-activity", String::new());
            }
            if config.warn_stylesheet() {
                expected.insert("data-stylesheet", config.stylesheet_url().to_owned());
            }
        }
    }
    if let Some(n) = nonce {
        expected.insert("nonce", n.as_str().to_owned());
    }
    if external {
        expected.insert("src", config.script_url().to_owned());
    }

    // What a browser's parser reads.
    let page = format!(
        "<!DOCTYPE html><html><head><title>t</title>{html}</head>\
         <body><p id=\"after\">after</p></body></html>"
    );
    let doc = Html::parse_document(&page);
    let scripts: Vec<_> = doc.select(&Selector::parse("script").unwrap()).collect();
    assert_eq!(scripts.len(), 1, "{html}");
    let after: Vec<_> = doc
        .select(&Selector::parse("body > p#after").unwrap())
        .collect();
    assert_eq!(after.len(), 1, "the tag swallowed the page: {html}");
    assert_eq!(after[0].text().collect::<String>(), "after");
    let script = scripts[0];
    let mut got: BTreeMap<&str, String> = script
        .value()
        .attrs()
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
    let scope = got.remove("data-scope").expect("a data-scope attribute");
    assert!(
        scope.len() == 8 && scope.bytes().all(|b| b.is_ascii_hexdigit()),
        "scope {scope:?}"
    );
    // NUL cannot travel through HTML: the crate writes it as U+FFFD, as a parser would.
    for value in expected.values_mut() {
        *value = value.replace('\0', "\u{FFFD}");
    }
    assert_eq!(got, expected, "{html}");
    let text: String = script.text().collect();
    if external {
        assert_eq!(text, "");
    } else {
        assert_eq!(text, assets::SCRIPT);
    }
});
