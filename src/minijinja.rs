//! MiniJinja 3 integration (feature `minijinja`): one call at start-up, the
//! per-request values merged into the render context.
//!
//! ```
//! use auto_logout::{Config, Remaining};
//! use minijinja::{Environment, context};
//!
//! // Once, when the environment is built.
//! let mut env = Environment::new();
//! auto_logout::minijinja::register(&mut env);
//! env.add_template(
//!     "page.html", // `.html`: autoescaping is on
//!     r#"<p>Hello {{ user }}</p>
//! <script>
//! var sessionEnd = {{ seconds_until_session_end }};
//! var idleEnd = {{ seconds_until_idle_end }};
//! </script>
//! {{ redirect_to_login_immediately }}"#,
//! )?;
//!
//! // Per request, with the values the framework integration computed.
//! let config = Config::builder()
//!     .idle_time(600)
//!     .session_time(3600)
//!     .redirect_to_login_immediately(true)
//!     .build()?;
//! let values = config.context(Remaining::new(Some(600_000), Some(3_000_000)));
//!
//! let html = env.get_template("page.html")?.render(context! {
//!     user => "<b>bob</b>",
//!     ..auto_logout::minijinja::values(&values),
//! })?;
//!
//! assert!(html.contains("Hello &lt;b&gt;bob&lt;&#x2f;b&gt;")); // the app's values are escaped...
//! assert!(html.contains("var sessionEnd = 3000;"));
//! assert!(html.contains("var idleEnd = 600;"));
//! // ...the script tag is not: it is the core's bytes, unchanged.
//! assert!(html.ends_with(&values.redirect_to_login_immediately().to_string()));
//!
//! // A page rendered without the values gets the anonymous defaults.
//! let public = env.render_str("var idleEnd = {{ seconds_until_idle_end }};{{ auto_logout_script() }}", ())?;
//! assert_eq!(public, "var idleEnd = 0;");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the calls do
//!
//! [`register`] adds to the [`Environment`]:
//!
//! * the values of [`TemplateContext::anonymous`] as globals, so a page
//!   rendered without per-request values (a public page) gives valid
//!   JavaScript, `var idleEnd = 0;`, and no script — instead of MiniJinja's
//!   empty output for an undefined variable, which would make `var idleEnd = ;`;
//! * the function `auto_logout_script()`, which renders the same tag as
//!   `{{ redirect_to_login_immediately }}`.
//!
//! [`values`] makes the per-request values, a map to merge into the render
//! context with `..` (the last entry of [`context!`](::minijinja::context!)),
//! or to pass as the whole context. Render-context values win over globals.
//! MiniJinja looks every variable of a merged context up through the merge;
//! where that matters, write the three keys into `context!` yourself, with
//! [`script_tag`] for the tag.
//!
//! | variable | value |
//! |---|---|
//! | `seconds_until_idle_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `seconds_until_session_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `redirect_to_login_immediately` | the script tag as a **safe** string (empty when there is nothing to do) |
//!
//! # Escaping
//!
//! The tag is made with [`Value::from_safe_string`], so
//! `{{ redirect_to_login_immediately }}` renders it unescaped with
//! autoescaping on and needs no `|safe`. The tag escapes every configured text
//! itself, once, when the [`Config`](crate::Config) is built.
//!
//! # Cost
//!
//! The numbers are plain integers and the map is one small object, with no
//! per-key allocation. MiniJinja's safe strings are made from an owned
//! `String`, which it copies into its own shared string; the glue reserves
//! that `String` once (a bound the configuration's prepared text gives), so
//! the tag is written once with no reallocation.

use std::fmt;
use std::sync::Arc;

use ::minijinja::value::{Enumerator, Object, ObjectRepr};
use ::minijinja::{Environment, Error, ErrorKind, State, Value};

use crate::context::TemplateContext;
use crate::script::ScriptTag;

/// The name of the function [`register`] adds: `{{ auto_logout_script() }}`.
pub const FUNCTION_NAME: &str = "auto_logout_script";

use crate::context::names::{IDLE, SCRIPT, SESSION};
const KEYS: &[&str] = &[IDLE, SESSION, SCRIPT];

/// Registers what templates need on an environment: the anonymous values as
/// globals, and the function `auto_logout_script()`.
///
/// Call it once, when the environment is built. Calling it again is harmless.
pub fn register(env: &mut Environment<'_>) {
    let anonymous = TemplateContext::anonymous();
    env.add_global(IDLE, anonymous.seconds_until_idle_end());
    env.add_global(SESSION, anonymous.seconds_until_session_end());
    env.add_global(
        SCRIPT,
        script_value(anonymous.redirect_to_login_immediately()),
    );
    env.add_function(FUNCTION_NAME, auto_logout_script);
}

/// The per-request values as a map with `seconds_until_idle_end`,
/// `seconds_until_session_end` and `redirect_to_login_immediately` (a safe
/// string), for `context! { .., ..values(&ctx) }` or as the whole context.
pub fn values(values: &TemplateContext<'_>) -> Value {
    Value::from_object(Values {
        seconds_until_idle_end: values.seconds_until_idle_end(),
        seconds_until_session_end: values.seconds_until_session_end(),
        redirect_to_login_immediately: script_value(values.redirect_to_login_immediately()),
    })
}

/// The script tag alone, as a MiniJinja safe string (empty when there is
/// nothing to do), for a context written key by key instead of merged:
///
/// ```
/// # use auto_logout::TemplateContext;
/// # let values = TemplateContext::anonymous();
/// let ctx = minijinja::context! {
///     user => "ada",
///     seconds_until_idle_end => values.seconds_until_idle_end(),
///     seconds_until_session_end => values.seconds_until_session_end(),
///     redirect_to_login_immediately => auto_logout::minijinja::script_tag(&values),
/// };
/// # let _ = ctx;
/// ```
pub fn script_tag(values: &TemplateContext<'_>) -> Value {
    script_value(values.redirect_to_login_immediately())
}

/// The tag as a MiniJinja safe string.
fn script_value(tag: ScriptTag<'_>) -> Value {
    if tag.is_empty() {
        // Renders nothing whatever the escaping; a small string needs no allocation.
        return Value::from("");
    }
    // Reserved once: a bound the configuration's prepared text gives, or
    // (the page's own texts) the length counted by writing the tag.
    let len = tag.len_bound().unwrap_or_else(|| {
        let mut counter = Counter(0);
        tag.write_to(&mut counter).expect("counting cannot fail");
        counter.0
    });
    let mut text = String::with_capacity(len);
    tag.write_to(&mut text)
        .expect("writing to a String cannot fail");
    Value::from_safe_string(text)
}

/// Measures the tag's length without writing it.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// `auto_logout_script()`: the tag in the render context (or the global default).
fn auto_logout_script(state: &State<'_, '_>) -> Result<Value, Error> {
    match state.lookup(SCRIPT) {
        Some(value) if value.is_safe() || value.as_str() == Some("") => Ok(value),
        Some(_) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{FUNCTION_NAME}()`: the context's `{SCRIPT}` is not the auto-logout script tag \
                 (a plain value of that name replaced it); merge \
                 auto_logout::minijinja::values(..) into the context and do not set `{SCRIPT}` \
                 yourself"
            ),
        )),
        None => Err(Error::new(
            ErrorKind::UndefinedError,
            format!(
                "`{FUNCTION_NAME}()`: no `{SCRIPT}` defined; call \
                 auto_logout::minijinja::register on the Environment"
            ),
        )),
    }
}

/// The map [`values`] returns: three fixed keys, no allocation per key.
#[derive(Debug)]
struct Values {
    seconds_until_idle_end: u64,
    seconds_until_session_end: u64,
    redirect_to_login_immediately: Value,
}

impl Values {
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            IDLE => Some(Value::from(self.seconds_until_idle_end)),
            SESSION => Some(Value::from(self.seconds_until_session_end)),
            SCRIPT => Some(self.redirect_to_login_immediately.clone()),
            _ => None,
        }
    }
}

impl Object for Values {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.get(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(KEYS)
    }
}
