//! Tera 1.x integration (feature `tera1`): one call per request.
//!
//! Tera 1.20 is still what most existing apps use. The crate depends on it
//! under the name `tera1` (`tera1 = { package = "tera", version = "1.20" }`);
//! in an app it is simply `tera`.
//!
//! ```
//! # use tera1 as tera;
//! use auto_logout::{Config, Remaining};
//!
//! let mut tera = tera::Tera::default();
//! tera.add_raw_template(
//!     "page.html", // `.html`: autoescaping is on
//!     r#"<p>Hello {{ user }}</p>
//! <script>
//! var sessionEnd = {{ seconds_until_session_end }};
//! var idleEnd = {{ seconds_until_idle_end }};
//! </script>
//! {{ redirect_to_login_immediately | safe }}"#,
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
//! auto_logout::tera1::insert(&mut ctx, &values);
//! let html = tera.render("page.html", &ctx)?;
//!
//! assert!(html.contains("Hello &lt;b&gt;bob&lt;&#x2F;b&gt;")); // the app's values are escaped...
//! assert!(html.contains("var sessionEnd = 3000;"));
//! assert!(html.contains("var idleEnd = 600;"));
//! // ...and `| safe` writes the script tag as the core rendered it.
//! assert!(html.ends_with(&values.redirect_to_login_immediately().to_string()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the call does
//!
//! [`insert`] adds to the render's [`Context`]:
//!
//! | variable | value |
//! |---|---|
//! | `seconds_until_idle_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `seconds_until_session_end` | whole seconds, an unsigned integer (0 when not configured) |
//! | `redirect_to_login_immediately` | the script tag as a string (empty when there is nothing to do) |
//!
//! Tera 1 has no global context, so there is nothing to register: insert the
//! values on every page that uses them, with
//! [`TemplateContext::anonymous`] for visitors who are not logged in (Tera 1
//! refuses to render an undefined variable).
//!
//! # Escaping: write `{{ redirect_to_login_immediately | safe }}`
//!
//! Tera 1 decides escaping per *expression*, never per value: a context value
//! cannot be marked safe, and a function cannot read the render context, so
//! no registered function could hand the per-request tag over unescaped
//! either. With autoescaping on, the tag is therefore written with the `safe`
//! filter as the last filter:
//!
//! ```text
//! {{ redirect_to_login_immediately | safe }}
//! ```
//!
//! Without it, the tag is escaped into visible, inert text — it fails safe,
//! but the page gets no script. The numbers need no filter. The tag escapes
//! every configured text itself, once, when the [`Config`](crate::Config) is
//! built, so `| safe` is sound for this one value; do not apply it to values
//! users can set. (With the `tera` integration, Tera 2 strings
//! carry a safe mark and the plain `{{ redirect_to_login_immediately }}`
//! works.)
//!
//! # Cost
//!
//! Tera 1 stores every value as a `serde_json::Value` under a `String` key,
//! so it allocates the three keys and the tag's string itself. The glue writes
//! the tag into a reusable per-thread buffer that Tera copies once; it
//! allocates nothing of its own.

use std::cell::RefCell;

use ::tera1::Context;

use crate::context::TemplateContext;
use crate::script::ScriptTag;

use crate::context::names::{IDLE, SCRIPT, SESSION};

/// Adds `seconds_until_idle_end`, `seconds_until_session_end` and
/// `redirect_to_login_immediately` to a render context, replacing values of
/// those names. Write the tag with `{{ redirect_to_login_immediately | safe }}`
/// (see the [module docs](self)).
pub fn insert(ctx: &mut Context, values: &TemplateContext<'_>) {
    ctx.insert(IDLE, &values.seconds_until_idle_end());
    ctx.insert(SESSION, &values.seconds_until_session_end());
    ctx.insert(SCRIPT, &BufferedTag(values.redirect_to_login_immediately()));
}

thread_local! {
    /// Reused between renders so the glue allocates nothing of its own.
    static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Serializes the tag as a string through the per-thread buffer, so the only
/// allocation is the `serde_json::Value::String` Tera keeps.
struct BufferedTag<'a>(ScriptTag<'a>);

impl serde::Serialize for BufferedTag<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            return serializer.serialize_str("");
        }
        BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            self.0
                .write_to(buffer)
                .expect("writing to a String cannot fail");
            serializer.serialize_str(buffer)
        })
    }
}
