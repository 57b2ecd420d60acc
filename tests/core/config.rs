//! Configuration: every setting of django-auto-logout's README, the extra keys,
//! and one test per error.

use std::time::Duration;

use auto_logout::{Config, ConfigError, ExpiryReason, WarningTexts};

const MESSAGE: &str = "The session has expired. Please login again to continue.";

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

#[test]
fn every_readme_configuration_parses_from_json_and_matches_its_timedelta_form() {
    // (JSON with integer seconds, the README's timedelta example written in Rust)
    let cases: Vec<(&str, Config)> = vec![
        (
            r#"{"IDLE_TIME": 600}"#,
            Config::builder()
                .idle_time(time::Duration::minutes(10))
                .build()
                .unwrap(),
        ),
        (
            r#"{"IDLE_TIME": 600, "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#,
            Config::builder()
                .idle_time(time::Duration::minutes(10))
                .redirect_to_login_immediately(true)
                .build()
                .unwrap(),
        ),
        (
            r#"{"SESSION_TIME": 3600}"#,
            Config::builder()
                .session_time(time::Duration::hours(1))
                .build()
                .unwrap(),
        ),
        (
            r#"{"SESSION_TIME": 3600, "MESSAGE": "The session has expired. Please login again to continue."}"#,
            Config::builder()
                .session_time(3600)
                .message(MESSAGE)
                .build()
                .unwrap(),
        ),
        (
            r#"{"IDLE_TIME": 300, "SESSION_TIME": 1800,
                "MESSAGE": "The session has expired. Please login again to continue.",
                "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#,
            Config::builder()
                .idle_time(time::Duration::minutes(5))
                .session_time(time::Duration::minutes(30))
                .message(MESSAGE)
                .redirect_to_login_immediately(true)
                .build()
                .unwrap(),
        ),
    ];
    for (json, in_code) in cases {
        let parsed = Config::from_json(json).unwrap();
        assert_eq!(parsed, in_code, "{json}");
        let via_serde: Config = serde_json::from_str(json).unwrap();
        assert_eq!(via_serde, in_code, "{json}");
    }
}

#[test]
fn readme_values_are_read_back() {
    let c = Config::from_json(
        r#"{"IDLE_TIME": 300, "SESSION_TIME": 1800, "MESSAGE": "bye",
            "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#,
    )
    .unwrap();
    assert_eq!(c.idle_time(), secs(300));
    assert_eq!(c.session_time(), secs(1800));
    assert_eq!(c.message(), Some("bye"));
    assert!(c.redirect_to_login_immediately());
    assert_eq!(
        c.write_resolution(),
        Duration::from_secs(3),
        "1 % of IDLE_TIME"
    );
    assert_eq!(c.endpoint_prefix(), "/auto-logout/");
    assert_eq!(c.login_url(), None);
}

#[test]
fn lower_case_keys_and_human_times_read_naturally() {
    let c = Config::from_json(
        r#"{"idle_time": "10m", "session_time": "1h 30m", "warn_before": "90s",
            "redirect_to_login_immediately": true, "login_url": "/accounts/login/",
            "passive_paths": ["/static/", "/health"], "write_resolution": "5s",
            "endpoint_prefix": "/_al/"}"#,
    )
    .unwrap();
    assert_eq!(c.idle_time(), secs(600));
    assert_eq!(c.session_time(), secs(5400));
    assert_eq!(c.warn_before(), secs(90));
    assert_eq!(c.login_url(), Some("/accounts/login/"));
    assert_eq!(c.passive_paths(), ["/static/", "/health"]);
    assert_eq!(c.write_resolution(), Duration::from_secs(5));
    assert_eq!(c.endpoint_prefix(), "/_al/");
    assert_eq!(
        c.script_url(),
        format!("/_al/{}", auto_logout::assets::script_file_name())
    );
    assert_eq!(
        c.stylesheet_url(),
        format!("/_al/{}", auto_logout::assets::stylesheet_file_name())
    );
}

#[test]
fn reason_specific_messages_fall_back_to_message() {
    let c = Config::from_json(
        r#"{"IDLE_TIME": 60, "SESSION_TIME": 600, "MESSAGE": "generic",
            "IDLE_MESSAGE": "You were away too long."}"#,
    )
    .unwrap();
    assert_eq!(
        c.message_for(ExpiryReason::Idle),
        Some("You were away too long.")
    );
    assert_eq!(c.message_for(ExpiryReason::Session), Some("generic"));
    assert_eq!(c.message_for(ExpiryReason::Invalid), Some("generic"));
    let silent = Config::from_json(r#"{"IDLE_TIME": 60}"#).unwrap();
    assert_eq!(silent.message_for(ExpiryReason::Idle), None);
}

#[test]
fn std_and_time_durations_and_seconds_agree() {
    let a = Config::builder().idle_time(90).build().unwrap();
    let b = Config::builder()
        .idle_time(Duration::from_secs(90))
        .build()
        .unwrap();
    let c = Config::builder()
        .idle_time(time::Duration::seconds(90))
        .build()
        .unwrap();
    let d = Config::builder().idle_time("90s").build().unwrap();
    assert!(a == b && b == c && c == d);
}

#[test]
fn an_empty_map_is_a_valid_inert_configuration() {
    let c = Config::from_json("{}").unwrap();
    assert!(!c.has_limit());
    assert!(!c.redirect_to_login_immediately());
}

#[test]
fn toml_style_input_deserializes_through_serde() {
    // Any self-describing serde format works; serde_json's Value stands in for
    // a TOML table here.
    let table = serde_json::json!({"idle_time": 600, "message": "bye"});
    let c: Config = serde_json::from_value(table).unwrap();
    assert_eq!(c.idle_time(), secs(600));
}

// ---- one test per error ---------------------------------------------------

fn err(json: &str) -> ConfigError {
    Config::from_json(json).unwrap_err()
}

#[test]
fn error_not_a_map() {
    let e = err("[600]");
    assert_eq!(
        e,
        ConfigError::NotAMap {
            found: "a list".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "the auto-logout configuration must be a map of keys to values, got a list"
    );
}

#[test]
fn error_syntax() {
    let e = err("{'IDLE_TIME': 600}");
    assert!(matches!(e, ConfigError::Syntax { .. }));
    assert!(e.to_string().contains("line 1 column 2"), "{e}");
}

#[test]
fn error_unknown_key_names_the_key_and_the_allowed_ones() {
    let e = err(r#"{"IDLE_TIMEOUT": 600}"#);
    assert!(matches!(&e, ConfigError::UnknownKey { key, .. } if key == "IDLE_TIMEOUT"));
    let text = e.to_string();
    assert!(
        text.starts_with("unknown key `IDLE_TIMEOUT`: allowed keys are IDLE_TIME, SESSION_TIME")
    );
}

#[test]
fn error_duplicate_key_in_two_cases() {
    let e = err(r#"{"IDLE_TIME": 600, "idle_time": 60}"#);
    assert_eq!(e, ConfigError::DuplicateKey { key: "IDLE_TIME" });
    assert_eq!(
        e.to_string(),
        "key `IDLE_TIME` is given twice (keys are case-insensitive)"
    );
}

#[test]
fn error_zero_time() {
    let e = err(r#"{"IDLE_TIME": 0}"#);
    assert!(
        matches!(e, ConfigError::InvalidValue { key: "IDLE_TIME", ref value, .. } if value == "0")
    );
}

#[test]
fn error_negative_time() {
    assert_eq!(
        err(r#"{"SESSION_TIME": -5}"#).to_string(),
        "SESSION_TIME = -5 is not allowed: expected a time greater than zero \
         (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")"
    );
    let e = Config::builder()
        .session_time(time::Duration::seconds(-5))
        .build()
        .unwrap_err();
    assert!(
        matches!(e, ConfigError::InvalidValue { key: "SESSION_TIME", ref value, .. } if value == "-5s")
    );
}

#[test]
fn error_bool_where_a_time_belongs() {
    let e = err(r#"{"IDLE_TIME": true}"#);
    assert!(
        matches!(e, ConfigError::InvalidValue { key: "IDLE_TIME", ref value, .. } if value == "true")
    );
}

#[test]
fn error_float_time() {
    // Django answers every request with a 500 for a float; we refuse it once.
    let e = err(r#"{"IDLE_TIME": 600.5}"#);
    assert!(
        matches!(e, ConfigError::InvalidValue { key: "IDLE_TIME", ref value, .. } if value == "600.5")
    );
}

const WHOLE_SECONDS: &str = "expected a whole number of seconds, or a string such as \"20s\" \
     or \"1500ms\" (a number with a decimal point is not read as a time)";

#[test]
fn error_float_time_says_the_decimal_point_is_the_problem() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 20.0}"#).to_string(),
        format!("IDLE_TIME = 20.0 is not allowed: {WHOLE_SECONDS}")
    );
}

#[test]
fn error_fraction_of_a_second_says_whole_seconds() {
    assert_eq!(
        err(r#"{"SESSION_TIME": 0.5}"#).to_string(),
        format!("SESSION_TIME = 0.5 is not allowed: {WHOLE_SECONDS}")
    );
}

#[test]
fn error_float_in_a_string_says_whole_seconds() {
    assert_eq!(
        err(r#"{"IDLE_TIME": "20.5"}"#).to_string(),
        format!("IDLE_TIME = \"20.5\" is not allowed: {WHOLE_SECONDS}")
    );
}

#[test]
fn error_negative_float_says_greater_than_zero() {
    assert_eq!(
        err(r#"{"IDLE_TIME": -20.5}"#).to_string(),
        "IDLE_TIME = -20.5 is not allowed: expected a time greater than zero \
         (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")"
    );
}

#[test]
fn error_negative_string_says_greater_than_zero() {
    assert_eq!(
        err(r#"{"IDLE_TIME": "-5m"}"#).to_string(),
        "IDLE_TIME = \"-5m\" is not allowed: expected a time greater than zero \
         (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")"
    );
}

#[test]
fn error_zero_says_greater_than_zero() {
    assert_eq!(
        err(r#"{"IDLE_TIME": "0s"}"#).to_string(),
        "IDLE_TIME = \"0s\" is not allowed: expected a time greater than zero \
         (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")"
    );
}

#[test]
fn error_bool_time_says_not_true_or_false() {
    assert_eq!(
        err(r#"{"IDLE_TIME": true}"#).to_string(),
        "IDLE_TIME = true is not allowed: expected a time, not true or false: whole seconds \
         like 600, or a string such as \"10m\" or \"1h 30m\""
    );
}

#[test]
fn error_null_time_says_leave_the_key_out() {
    assert_eq!(
        err(r#"{"SESSION_TIME": null}"#).to_string(),
        "SESSION_TIME = null is not allowed: expected a time, not null: whole seconds like \
         600, or a string such as \"10m\" (leave the key out to turn the limit off)"
    );
}

#[test]
fn error_list_time_says_one_time() {
    assert_eq!(
        err(r#"{"IDLE_TIME": [600]}"#).to_string(),
        "IDLE_TIME = [600] is not allowed: expected one time, not a list: whole seconds \
         like 600, or a string such as \"10m\" or \"1h 30m\""
    );
}

#[test]
fn error_map_time_says_not_a_map() {
    assert_eq!(
        err(r#"{"IDLE_TIME": {"minutes": 10}}"#).to_string(),
        "IDLE_TIME = {\"minutes\":10} is not allowed: expected a time, not a map: whole \
         seconds like 600, or a string such as \"10m\" or \"1h 30m\""
    );
}

#[test]
fn error_unreadable_string_lists_the_units() {
    assert_eq!(
        err(r#"{"IDLE_TIME": "ten minutes"}"#).to_string(),
        "IDLE_TIME = \"ten minutes\" is not allowed: expected a time written as whole \
         seconds like \"600\" or as a duration like \"90s\", \"10m\", \"1h 30m\" or \
         \"500ms\" (units: ms, s, m, h, d)"
    );
}

#[test]
fn error_below_a_millisecond_says_at_least_one_millisecond() {
    assert_eq!(
        err(r#"{"IDLE_TIME": "500us"}"#).to_string(),
        "IDLE_TIME = \"500us\" is not allowed: expected a time of at least one millisecond \
         (times are counted in whole milliseconds)"
    );
}

#[test]
fn error_huge_integer_says_at_most_ten_years() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 18446744073709551615}"#).to_string(),
        "IDLE_TIME = 18446744073709551615 is not allowed: expected a time of at most ten years"
    );
    assert_eq!(
        err(r#"{"IDLE_TIME": 1e300}"#).to_string(),
        "IDLE_TIME = 1e+300 is not allowed: expected a time of at most ten years"
    );
}

#[test]
fn error_unparsable_human_time() {
    let e =
        err(r#"{"WARN_BEFORE": "soon", "IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#);
    assert_eq!(
        e.to_string(),
        "WARN_BEFORE = \"soon\" is not allowed: expected a time written as whole seconds \
         like \"600\" or as a duration like \"90s\", \"10m\", \"1h 30m\" or \"500ms\" \
         (units: ms, s, m, h, d)"
    );
}

#[test]
fn error_time_over_ten_years() {
    let e = err(r#"{"IDLE_TIME": 999999999999}"#);
    assert!(
        e.to_string()
            .ends_with("expected a time of at most ten years"),
        "{e}"
    );
}

#[test]
fn error_wrong_type_for_text_and_bool() {
    let e = err(r#"{"IDLE_TIME": 60, "MESSAGE": 5}"#);
    assert_eq!(
        e.to_string(),
        "MESSAGE = 5 is not allowed: expected a string"
    );
    let e = err(r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": "yes"}"#);
    assert_eq!(
        e.to_string(),
        "REDIRECT_TO_LOGIN_IMMEDIATELY = \"yes\" is not allowed: expected true or false"
    );
}

#[test]
fn error_script_without_a_limit() {
    let e = err(r#"{"REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#);
    assert_eq!(
        e.to_string(),
        "REDIRECT_TO_LOGIN_IMMEDIATELY needs IDLE_TIME or SESSION_TIME to be set"
    );
}

#[test]
fn error_message_without_a_limit() {
    assert_eq!(
        err(r#"{"MESSAGE": "bye"}"#),
        ConfigError::Requires {
            key: "MESSAGE",
            needs: "IDLE_TIME or SESSION_TIME to be set"
        }
    );
}

#[test]
fn error_reason_message_without_its_limit() {
    assert_eq!(
        err(r#"{"SESSION_TIME": 60, "IDLE_MESSAGE": "bye"}"#),
        ConfigError::Requires {
            key: "IDLE_MESSAGE",
            needs: "IDLE_TIME to be set"
        }
    );
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "SESSION_MESSAGE": "bye"}"#),
        ConfigError::Requires {
            key: "SESSION_MESSAGE",
            needs: "SESSION_TIME to be set"
        }
    );
}

#[test]
fn error_warning_without_the_script() {
    let e = err(r#"{"IDLE_TIME": 600, "WARN_BEFORE": 60}"#);
    assert!(matches!(
        e,
        ConfigError::Requires {
            key: "WARN_BEFORE",
            ..
        }
    ));
    assert!(
        e.to_string()
            .contains("REDIRECT_TO_LOGIN_IMMEDIATELY: true")
    );
}

#[test]
fn error_warning_longer_than_a_limit() {
    let e = err(
        r#"{"IDLE_TIME": 600, "SESSION_TIME": 60, "WARN_BEFORE": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#,
    );
    assert_eq!(
        e.to_string(),
        "WARN_BEFORE = 60s must be shorter than SESSION_TIME = 60s"
    );
}

#[test]
fn error_warning_texts_without_a_warning() {
    let e = Config::builder()
        .idle_time(60)
        .warning_texts(WarningTexts {
            title: Some("Still there?".into()),
            ..WarningTexts::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(
        e,
        ConfigError::Requires {
            key: "WARN_TITLE",
            needs: "WARN_BEFORE to be set"
        }
    );
}

#[test]
fn error_warning_class_that_is_not_a_class_name() {
    let e = err(
        r#"{"IDLE_TIME": 600, "WARN_BEFORE": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true,
            "WARN_CLASS": "x\" onclick=\"alert(1)"}"#,
    );
    assert!(
        matches!(
            e,
            ConfigError::InvalidValue {
                key: "WARN_CLASS",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn error_login_url_that_leaves_the_site() {
    for bad in [
        "https://evil.example/login",
        "//evil.example/login",
        "/\\evil.example",
        "login",
        "javascript:alert(1)",
        "/login page",
    ] {
        let e = Config::builder()
            .idle_time(60)
            .login_url(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &e,
                ConfigError::InvalidValue {
                    key: "LOGIN_URL",
                    ..
                }
            ),
            "{bad}: {e}"
        );
        assert!(
            e.to_string()
                .contains("a path on this site starting with a single `/`")
        );
    }
}

#[test]
fn error_passive_paths_that_are_not_paths() {
    let e = err(r#"{"IDLE_TIME": 60, "PASSIVE_PATHS": "/static/"}"#);
    assert!(matches!(
        e,
        ConfigError::InvalidValue {
            key: "PASSIVE_PATHS",
            ..
        }
    ));
    let e = err(r#"{"IDLE_TIME": 60, "PASSIVE_PATHS": ["static"]}"#);
    assert!(matches!(
        e,
        ConfigError::InvalidValue {
            key: "PASSIVE_PATHS",
            ..
        }
    ));
}

#[test]
fn error_endpoint_prefix() {
    for bad in ["/auto-logout", "auto-logout/", "//x/", "/a b/", "/a\"/"] {
        let e = Config::builder().endpoint_prefix(bad).build().unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::InvalidValue {
                    key: "ENDPOINT_PREFIX",
                    ..
                }
            ),
            "{bad}"
        );
    }
}

#[test]
fn serde_errors_carry_the_same_message() {
    let e = serde_json::from_str::<Config>(r#"{"IDLE_TIME": -1}"#).unwrap_err();
    assert!(
        e.to_string().starts_with("IDLE_TIME = -1 is not allowed"),
        "{e}"
    );
}

// ---- WRITE_RESOLUTION and the idle-time promise ------------------------------

#[test]
fn default_write_resolution_is_one_percent_of_idle_time() {
    for (idle, resolution) in [
        ("1s", Duration::from_millis(10)),
        ("60s", Duration::from_millis(600)),
        ("100s", Duration::from_secs(1)),
        ("15m", Duration::from_secs(9)),
        ("1d", Duration::from_secs(864)),
        ("1234ms", Duration::from_millis(12)),
        ("50ms", Duration::from_millis(1)),
    ] {
        let c = Config::builder().idle_time(idle).build().unwrap();
        assert_eq!(c.write_resolution(), resolution, "IDLE_TIME {idle}");
    }
}

#[test]
fn without_an_idle_limit_the_write_resolution_stays_one_second() {
    let c = Config::from_json(r#"{"SESSION_TIME": 3600}"#).unwrap();
    assert_eq!(c.write_resolution(), Duration::from_secs(1));
    let c = Config::from_json(r#"{"SESSION_TIME": 3600, "WRITE_RESOLUTION": "1h"}"#).unwrap();
    assert_eq!(c.write_resolution(), Duration::from_secs(3600));
    assert_eq!(
        Config::from_json("{}").unwrap().write_resolution(),
        Duration::from_secs(1)
    );
}

#[test]
fn an_explicit_write_resolution_up_to_one_percent_is_kept() {
    let c = Config::from_json(r#"{"IDLE_TIME": 60, "WRITE_RESOLUTION": "600ms"}"#).unwrap();
    assert_eq!(c.write_resolution(), Duration::from_millis(600));
    let c = Config::from_json(r#"{"IDLE_TIME": 60, "WRITE_RESOLUTION": "1ms"}"#).unwrap();
    assert_eq!(c.write_resolution(), Duration::from_millis(1));
    let c = Config::builder()
        .idle_time("15m")
        .write_resolution(9)
        .build()
        .unwrap();
    assert_eq!(c.write_resolution(), Duration::from_secs(9));
}

#[test]
fn error_write_resolution_above_one_percent_of_idle_time() {
    let e = err(r#"{"IDLE_TIME": 60, "WRITE_RESOLUTION": "601ms"}"#);
    assert_eq!(
        e,
        ConfigError::WriteResolutionTooCoarse {
            value: "\"601ms\"".into(),
            resolution: Duration::from_millis(601),
            idle_time: Duration::from_secs(60),
            largest: Duration::from_millis(600),
        }
    );
    assert_eq!(
        e.to_string(),
        "WRITE_RESOLUTION = \"601ms\" is not allowed with IDLE_TIME = 1m: the largest allowed \
         value is 600ms (1 % of IDLE_TIME), because a resolution of 601ms would log active \
         users out up to 601ms before IDLE_TIME has passed since their last request"
    );
}

#[test]
fn error_write_resolution_at_or_above_idle_time() {
    // IDLE 4 s, resolution 1 h: requests every second were logged out at 4 s.
    let e = err(r#"{"IDLE_TIME": 4, "WRITE_RESOLUTION": "1h"}"#);
    assert_eq!(
        e.to_string(),
        "WRITE_RESOLUTION = \"1h\" is not allowed with IDLE_TIME = 4s: the largest allowed \
         value is 40ms (1 % of IDLE_TIME), because a resolution of 1h would log active users \
         out up to 1h before IDLE_TIME has passed since their last request"
    );
    let e = err(r#"{"IDLE_TIME": 1, "WRITE_RESOLUTION": 1}"#);
    assert!(
        e.to_string().starts_with(
            "WRITE_RESOLUTION = 1 is not allowed with IDLE_TIME = 1s: the largest allowed \
             value is 10ms"
        ),
        "{e}"
    );
}

#[test]
fn error_write_resolution_the_old_default_under_a_short_idle_time() {
    let e = Config::builder()
        .idle_time(60)
        .write_resolution(Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::WriteResolutionTooCoarse { largest, .. }
                if largest == Duration::from_millis(600)
        ),
        "{e}"
    );
}

// ---- paths that browsers would rewrite ----------------------------------------

const CLEAN_PATH: &str = "expected a path without `.` or `..` segments and without empty \
     segments (`//`): browsers rewrite those, so requests would not reach the path configured";

#[test]
fn error_endpoint_prefix_with_a_dot_dot_segment() {
    assert_eq!(
        Config::builder()
            .endpoint_prefix("/x/../")
            .build()
            .unwrap_err()
            .to_string(),
        format!("ENDPOINT_PREFIX = \"/x/../\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_endpoint_prefix_with_a_dot_segment() {
    assert_eq!(
        err(r#"{"ENDPOINT_PREFIX": "/./auto-logout/"}"#).to_string(),
        format!("ENDPOINT_PREFIX = \"/./auto-logout/\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_endpoint_prefix_with_an_empty_segment() {
    assert_eq!(
        err(r#"{"ENDPOINT_PREFIX": "/auto//logout/"}"#).to_string(),
        format!("ENDPOINT_PREFIX = \"/auto//logout/\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_login_url_with_a_dot_dot_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "LOGIN_URL": "/x/../login"}"#).to_string(),
        format!("LOGIN_URL = \"/x/../login\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_login_url_with_a_percent_encoded_dot_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "LOGIN_URL": "/x/%2E%2e/login"}"#).to_string(),
        format!("LOGIN_URL = \"/x/%2E%2e/login\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_login_url_with_an_empty_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "LOGIN_URL": "/accounts//login"}"#).to_string(),
        format!("LOGIN_URL = \"/accounts//login\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_login_url_ending_in_a_dot_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "LOGIN_URL": "/login/."}"#).to_string(),
        format!("LOGIN_URL = \"/login/.\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_passive_path_with_a_dot_dot_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "PASSIVE_PATHS": ["/static/", "/static/../api/"]}"#).to_string(),
        format!("PASSIVE_PATHS = \"/static/../api/\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn error_passive_path_with_an_empty_segment() {
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "PASSIVE_PATHS": ["/static//"]}"#).to_string(),
        format!("PASSIVE_PATHS = \"/static//\" is not allowed: {CLEAN_PATH}")
    );
}

#[test]
fn dots_inside_segments_and_in_the_query_are_fine() {
    let c = Config::from_json(
        r#"{"IDLE_TIME": 60, "LOGIN_URL": "/login?from=/a/../b",
            "PASSIVE_PATHS": ["/.well-known/", "/file.v2..js"],
            "ENDPOINT_PREFIX": "/auto-logout.v2/"}"#,
    )
    .unwrap();
    assert_eq!(c.login_url(), Some("/login?from=/a/../b"));
    assert_eq!(c.passive_paths(), ["/.well-known/", "/file.v2..js"]);
    assert_eq!(c.endpoint_prefix(), "/auto-logout.v2/");
}

#[test]
fn client_activity_is_off_by_default_and_read_as_a_bool() {
    let off =
        Config::from_json(r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#).unwrap();
    assert!(!off.client_activity());
    let on = Config::from_json(
        r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true, "client_activity": true}"#,
    )
    .unwrap();
    assert!(on.client_activity());
    let built = Config::builder()
        .idle_time(60)
        .redirect_to_login_immediately(true)
        .client_activity(true)
        .build()
        .unwrap();
    assert_eq!(on, built);
}

#[test]
fn error_client_activity_not_a_bool() {
    assert_eq!(
        err(
            r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true, "CLIENT_ACTIVITY": "yes"}"#
        )
        .to_string(),
        "CLIENT_ACTIVITY = \"yes\" is not allowed: expected true or false"
    );
}

#[test]
fn error_client_activity_without_the_script_or_an_idle_limit() {
    let e = err(r#"{"IDLE_TIME": 60, "CLIENT_ACTIVITY": true}"#);
    assert!(matches!(
        e,
        ConfigError::Requires {
            key: "CLIENT_ACTIVITY",
            ..
        }
    ));
    assert!(
        e.to_string().contains("REDIRECT_TO_LOGIN_IMMEDIATELY"),
        "{e}"
    );
    let e = err(
        r#"{"SESSION_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true, "CLIENT_ACTIVITY": true}"#,
    );
    assert!(matches!(
        e,
        ConfigError::Requires {
            key: "CLIENT_ACTIVITY",
            ..
        }
    ));
    assert!(e.to_string().contains("IDLE_TIME"), "{e}");
    // Off is always fine.
    Config::from_json(r#"{"CLIENT_ACTIVITY": false}"#).unwrap();
}

#[test]
fn warn_stylesheet_defaults_to_on_with_a_warning() {
    let base = r#""IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true, "WARN_BEFORE": 10"#;
    let on = Config::from_json(&format!("{{{base}}}")).unwrap();
    assert!(on.warn_stylesheet());
    let off = Config::from_json(&format!(r#"{{{base}, "WARN_STYLESHEET": false}}"#)).unwrap();
    assert!(!off.warn_stylesheet());
    let no_warning =
        Config::from_json(r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#).unwrap();
    assert!(!no_warning.warn_stylesheet());
}

#[test]
fn error_warn_stylesheet_without_a_warning_or_not_a_bool() {
    let e = err(r#"{"IDLE_TIME": 60, "WARN_STYLESHEET": false}"#);
    assert_eq!(
        e,
        ConfigError::Requires {
            key: "WARN_STYLESHEET",
            needs: "WARN_BEFORE or LOCK_AFTER to be set (it styles the warning and the lock dialog)"
        }
    );
    assert_eq!(
        err(r#"{"IDLE_TIME": 60, "REDIRECT_TO_LOGIN_IMMEDIATELY": true, "WARN_BEFORE": 10, "WARN_STYLESHEET": 0}"#)
            .to_string(),
        "WARN_STYLESHEET = 0 is not allowed: expected true or false"
    );
}

#[test]
fn the_new_keys_are_listed_as_allowed() {
    let text = err(r#"{"CLIENT_ACTIVTY": true}"#).to_string();
    assert!(text.contains("CLIENT_ACTIVITY"), "{text}");
    assert!(text.contains("WARN_STYLESHEET"), "{text}");
}
