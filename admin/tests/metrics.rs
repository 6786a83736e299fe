//! `/metrics` reports what the process did: each request's time per route pattern (never a
//! case id), refusals apart from answers, and the writer's batches with their decide, write and
//! commit times.

mod common;

use common::App;
use serde_json::json;

/// The count of a histogram's series whose labels contain every one of `labels`.
fn count(metrics: &str, name: &str, labels: &[&str]) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}_count")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[tokio::test]
async fn requests_and_batches_are_counted_per_route_without_case_ids() {
    yimen_service::metrics::install().expect("this test's process has no other recorder");
    let app = App::start().await;
    let before = app.send(Some("admin_qin"), "GET", "/metrics", None).await.body;
    let opened = app
        .json(
            "handler_ma",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "market_complaint", "channel": "hotline_12345", "fields": {
                "complainant": "周先生", "complainant_phone": "13912345678", "business": "东港某海鲜排档",
                "category": "price", "facts": "账单多收八百元"}}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.json()["id"].as_str().expect("id").to_owned();
    for _ in 0..3 {
        let r = app
            .send(Some("handler_ma"), "GET", &format!("/api/v1/cases/{id}"), None)
            .await;
        assert_eq!(r.status, 200);
    }
    let refused = app.send(Some("handler_ma"), "GET", "/metrics", None).await;
    assert_eq!(refused.status, 403);
    let after = app.send(Some("admin_qin"), "GET", "/metrics", None).await;
    assert_eq!(after.status, 200);
    let m = &after.body;

    let route = |r: &str| format!("route=\"{r}\"");
    let read = count(
        m,
        "yimen_http_request_duration_seconds",
        &[&route("/api/v1/cases/{id}"), "outcome=\"ok\""],
    );
    let read_before = count(
        &before,
        "yimen_http_request_duration_seconds",
        &[&route("/api/v1/cases/{id}")],
    );
    assert_eq!(read - read_before, 3, "{m}");
    let opens = count(
        m,
        "yimen_http_request_duration_seconds",
        &[&route("/api/v1/cases"), "method=\"POST\""],
    );
    assert_eq!(opens, 1, "{m}");
    assert!(
        count(
            m,
            "yimen_http_request_duration_seconds",
            &[&route("/metrics"), "outcome=\"refused\""]
        ) >= 1,
        "the refusal is counted as one: {m}"
    );
    assert!(
        m.contains("yimen_http_request_duration_seconds_bucket{") && m.contains("le=\"0.005\""),
        "histograms with buckets: {m}"
    );
    assert!(!m.contains(&id), "no case id in the metrics");
    // The opening went through the writer: a batch, with its phases timed.
    assert!(count(m, "yimen_writer_batch_commands", &[]) > count(&before, "yimen_writer_batch_commands", &[]));
    for phase in ["load", "decide", "write", "commit"] {
        assert!(
            count(m, &format!("yimen_writer_{phase}_seconds"), &[]) >= 1,
            "{phase}: {m}"
        );
    }
    // The gauges read from the store are still there.
    assert!(m.contains("# TYPE yimen_timers gauge"), "{m}");
}

#[tokio::test]
async fn every_answer_names_its_request_and_a_plain_client_id_is_kept() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let app = App::start().await;
    let ask = |id: Option<&str>| {
        let mut r = Request::builder().uri("/healthz");
        if let Some(id) = id {
            r = r.header("x-request-id", id);
        }
        r.body(Body::empty()).expect("request")
    };
    let header = |r: &axum::response::Response| {
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("x-request-id on every answer")
    };
    let a = header(&app.router.clone().oneshot(ask(None)).await.expect("answer"));
    let b = header(&app.router.clone().oneshot(ask(None)).await.expect("answer"));
    assert_ne!(a, b, "each request its own id");
    let kept = header(
        &app.router
            .clone()
            .oneshot(ask(Some("desk-7_42")))
            .await
            .expect("answer"),
    );
    assert_eq!(kept, "desk-7_42");
    for odd in ["has space", "<script>", &"x".repeat(65)] {
        let got = header(&app.router.clone().oneshot(ask(Some(odd))).await.expect("answer"));
        assert_ne!(got, odd, "an id that is not short and plain is replaced");
        assert!(got.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'), "{got}");
    }
}
