//! Tera 2 integration (feature `tera`): one call at start-up, one per request.
//!
//! ```
//! use auto_logout::{Config, Remaining};
//!
//! // Once, when the Tera instance is built.
//! let mut tera = tera::Tera::new();
//! auto_logout::tera::register(&mut tera);
//! tera.add_raw_template(
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
//! let mut ctx = tera::Context::new();
//! ctx.insert("user", "<b>bob</b>");
//! auto_logout::tera::insert(&mut ctx, &values);
//! let html = tera.render("page.html", &ctx)?;
//!
//! assert!(html.contains("Hello &lt;b&gt;bob&lt;/b&gt;")); // the app's values are escaped...
//! assert!(html.contains("var sessionEnd = 3000;"));
//! assert!(html.contains("var idleEnd = 600;"));
//! // ...the script tag is not: it is the core's bytes, unchanged.
//! assert!(html.ends_with(&values.redirect_to_login_immediately().to_string()));
//!
//! // `auto_logout_script()` renders the same tag.
//! tera.add_raw_template("fn.html", "{{ auto_logout_script() }}")?;
//! assert_eq!(
//!     tera.render("fn.html", &ctx)?,
//!     values.redirect_to_login_immediately().to_string(),
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the calls do
//!
//! [`register`] puts the values of [`TemplateContext::anonymous`] into
//! [`Tera::global_context`](::tera::Tera::global_context) — so a page rendered
//! without per-request values (a public page) still gives valid JavaScript,
//! `var idleEnd = 0;`, and no script — and registers the function
//! `auto_logout_script()`.
//!
//! [`insert`] adds, per request, to the render's [`Context`]:
//!
//! | variable | value |
//! |---|---|
//! | `seconds_until_idle_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `seconds_until_session_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `redirect_to_login_immediately` | the script tag as a **safe** string (empty when there is nothing to do) |
//!
//! A value of the render context wins over the global one, so `insert`
//! overrides the defaults.
//!
//! # Escaping
//!
//! Tera 2 strings carry a "safe" mark, and `insert` sets it on the script tag
//! ([`Value::safe_string`](::tera::Value::safe_string)). So
//! `{{ redirect_to_login_immediately }}` renders the tag unescaped with
//! autoescaping on, and needs no `| safe`; `{{ auto_logout_script() }}` is the
//! same tag through a function (it refuses a `redirect_to_login_immediately`
//! that is not a safe string, so an app value of that name cannot slip through
//! unescaped). The tag escapes every configured text itself, once, when the
//! [`Config`](crate::Config) is built.
//!
//! # Cost
//!
//! The numbers are plain integers, with no allocation. The tag is written into
//! a reusable per-thread buffer and copied once into the string Tera keeps
//! (an allocation Tera makes for any string value); the glue allocates nothing
//! of its own.

use std::cell::RefCell;

use ::tera::{Context, Error, Function, Kwargs, State, Tera, TeraResult, Value};

use crate::context::TemplateContext;
use crate::script::ScriptTag;

/// The name of the function [`register`] adds: `{{ auto_logout_script() }}`.
pub const FUNCTION_NAME: &str = "auto_logout_script";

use crate::context::names::{IDLE, SCRIPT, SESSION};

/// Registers what templates need on a Tera instance: the anonymous values as
/// global defaults, and the function `auto_logout_script()`.
///
/// Call it once, when the instance is built. Calling it again is harmless.
pub fn register(tera: &mut Tera) {
    let globals = tera.global_context();
    let anonymous = TemplateContext::anonymous();
    insert(globals, &anonymous);
    tera.register_function(FUNCTION_NAME, ScriptFunction);
}

/// Adds `seconds_until_idle_end`, `seconds_until_session_end` and
/// `redirect_to_login_immediately` (a safe string) to a render context,
/// replacing values of those names.
pub fn insert(ctx: &mut Context, values: &TemplateContext<'_>) {
    ctx.insert_value(IDLE, Value::from(values.seconds_until_idle_end()));
    ctx.insert_value(SESSION, Value::from(values.seconds_until_session_end()));
    ctx.insert_value(SCRIPT, script_value(values.redirect_to_login_immediately()));
}

thread_local! {
    /// Reused between renders so the glue allocates nothing of its own.
    static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The tag as a Tera safe string, copied once into Tera's own storage.
fn script_value(tag: ScriptTag<'_>) -> Value {
    if tag.is_empty() {
        return Value::safe_string("");
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        tag.write_to(buffer)
            .expect("writing to a String cannot fail");
        Value::safe_string(buffer)
    })
}

/// `auto_logout_script()`: the per-request tag that [`insert`] added, marked safe.
struct ScriptFunction;

impl Function<TeraResult<Value>> for ScriptFunction {
    fn call(&self, kwargs: Kwargs, state: &State) -> TeraResult<Value> {
        if let Some((name, _)) = kwargs.iter().next() {
            return Err(Error::message(format!(
                "`{FUNCTION_NAME}()` takes no arguments, got `{name}`; it renders the \
                 `{SCRIPT}` value that auto_logout::tera::insert added"
            )));
        }
        match state.get::<Value>(SCRIPT)? {
            Some(value) if value.is_safe() && value.as_str().is_some() => Ok(value),
            Some(_) => Err(Error::message(format!(
                "`{FUNCTION_NAME}()`: the context's `{SCRIPT}` is not the auto-logout script \
                 tag (a plain value of that name replaced it); add the values with \
                 auto_logout::tera::insert and do not set `{SCRIPT}` yourself"
            ))),
            None => Err(Error::message(format!(
                "`{FUNCTION_NAME}()`: no `{SCRIPT}` in the context; call \
                 auto_logout::tera::register on the Tera instance and \
                 auto_logout::tera::insert on the Context"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}
