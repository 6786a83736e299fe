//! The settings: sources in order, bad values refused, what `--check` prints.

use std::collections::HashMap;

use super::*;

fn args() -> ServeArgs {
    ServeArgs {
        db: None,
        bind: None,
        workflows: None,
        smtp: None,
        sms: None,
        base_url: None,
        config: None,
        demo: false,
        check: false,
    }
}

fn with(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let m: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Settings::resolve(&args(), &|k| m.get(k).cloned())
}

#[test]
fn defaults_without_anything_set() {
    let s = with(&[]).expect("defaults");
    assert_eq!(s.db, "sqlite://yimen.db");
    assert_eq!(s.timer_lease, chrono::Duration::seconds(30));
    assert_eq!(s.notify.sms_quiet, Some((22 * 60, 7 * 60)));
    assert_eq!(s.notify.sms_timeout, StdDuration::from_secs(20));
    assert_eq!(s.log_format, LogFormat::Text);
}

#[test]
fn every_variable_is_read_and_used() {
    let s = with(&[
        ("YIMEN_TIMER_LEASE_MS", "1500"),
        ("YIMEN_NOTIFY_BACKOFF_MS", "300"),
        ("YIMEN_NOTIFY_LEASE_MS", "4000"),
        ("YIMEN_SMS_QUIET_HOURS", "off"),
        ("YIMEN_SMS_PER_HOUR", "3"),
        ("YIMEN_SMS_TIMEOUT_MS", "700"),
        ("YIMEN_SMS_REPORT_TOKEN", "t0k"),
        ("YIMEN_MAX_CONNECTIONS", "7"),
        ("YIMEN_LOG", "debug"),
        ("YIMEN_LOG_FORMAT", "json"),
    ])
    .expect("valid");
    assert_eq!(s.timer_lease, chrono::Duration::milliseconds(1500));
    assert_eq!(s.notify.first_backoff, chrono::Duration::milliseconds(300));
    assert_eq!(s.notify.lease, chrono::Duration::milliseconds(4000));
    assert_eq!(s.notify.sms_quiet, None);
    assert_eq!(s.notify.sms_per_hour, 3);
    assert_eq!(s.notify.sms_timeout, StdDuration::from_millis(700));
    assert_eq!(s.notify.sms_report_token.as_deref(), Some("t0k"));
    assert_eq!(s.limits.max_connections, 7);
    assert_eq!(s.log_filter, "debug");
    assert_eq!(s.log_format, LogFormat::Json);
}

#[test]
fn a_bad_value_refuses_with_its_name_and_what_it_must_be() {
    for (var, value, says) in [
        (
            "YIMEN_TIMER_LEASE_MS",
            "fast",
            "whole number of milliseconds from 200 to 3600000",
        ),
        (
            "YIMEN_TIMER_LEASE_MS",
            "5",
            "must be from 200 to 3600000 milliseconds, not 5",
        ),
        ("YIMEN_NOTIFY_BACKOFF_MS", "-1", "from 10 to 3600000"),
        ("YIMEN_SMS_PER_HOUR", "0", "from 1 to 1000000"),
        ("YIMEN_SMS_TIMEOUT_MS", "1e3", "whole number of milliseconds"),
        ("YIMEN_SMS_QUIET_HOURS", "22-7", "HH:MM-HH:MM"),
        ("YIMEN_LOG_FORMAT", "xml", "`text` or `json`"),
        ("YIMEN_LOG", "info,=[", "not a log filter"),
        ("YIMEN_HEADER_TIMEOUT_SECS", "0", "from 1 to 3600"),
    ] {
        let e = format!("{:#}", with(&[(var, value)]).expect_err(var));
        assert!(e.contains(var), "{var}={value}: {e}");
        assert!(e.contains(says), "{var}={value}: {e}");
    }
}

#[test]
fn the_environment_wins_over_the_config_file_and_a_bad_file_value_names_its_key() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("yimen.toml");
    std::fs::write(
        &p,
        "[notify]\nlease_ms = 9000\nsms_per_hour = 4\n[engine]\ntimer_lease_ms = 50\n",
    )
    .expect("write");
    let a = ServeArgs {
        config: Some(p.clone()),
        ..args()
    };
    let e = format!("{:#}", Settings::resolve(&a, &|_| None).expect_err("50 ms"));
    assert!(e.contains("`engine.timer_lease_ms`") && e.contains("not 50"), "{e}");
    let s = Settings::resolve(&a, &|k| {
        (k == "YIMEN_TIMER_LEASE_MS" || k == "YIMEN_NOTIFY_LEASE_MS").then(|| "800".into())
    })
    .expect("the environment's value is in range");
    assert_eq!(s.timer_lease, chrono::Duration::milliseconds(800));
    assert_eq!(s.notify.lease, chrono::Duration::milliseconds(800));
    assert_eq!(s.notify.sms_per_hour, 4);
}

#[test]
fn secrets_are_not_printed() {
    let a = ServeArgs {
        smtp: Some("smtp://mailer:s3cret@127.0.0.1:2525?from=a@b".into()),
        sms: Some("http://127.0.0.1:13013/cgi-bin/sendsms?username=u&password=hunter2&from=12345".into()),
        ..args()
    };
    let s = Settings::resolve(&a, &|k| (k == "YIMEN_SMS_REPORT_TOKEN").then(|| "tok-xyz".into())).expect("valid");
    let text = s.to_string();
    for secret in ["s3cret", "hunter2", "tok-xyz"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("smtp://mailer:***@127.0.0.1:2525"), "{text}");
    assert!(text.contains("password=***&from=12345"), "{text}");
    assert!(text.contains("notify.sms_report_token = (set)"), "{text}");
}

#[test]
fn unknown_variables_are_named() {
    let vars = ["YIMEN_SMS_PER_HOURS", "YIMEN_BIND", "YIMEN_LOG", "PATH"].map(String::from);
    assert_eq!(
        Settings::unknown_variables(vars.into_iter()),
        vec!["YIMEN_SMS_PER_HOURS".to_owned()]
    );
}
