//! Sign-in and credentials as an attacker tries them: guesses at once (at most five password
//! checks per lock window), known and unknown names told apart, one address locking others
//! out, unbounded names from strangers, and credentials that outlive a reset, a stop, a
//! revocation or their expiry.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{App, Resp, per_backend};
use serde_json::json;
use tower::ServiceExt;
use yimen_service::limits::LimitSettings;

async fn audit_actions(app: &App, user: &str) -> Vec<String> {
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/audit?user={user}&limit=1000"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

// --- 2. and 8. Password guessing: atomic attempts, one answer for every failure ---------------

per_backend!(thirty_simultaneous_wrong_passwords_get_at_most_five_password_checks);
async fn thirty_simultaneous_wrong_passwords_get_at_most_five_password_checks(backend: &str) {
    let app = App::on(backend).await;
    app.with_password("supervisor_han", "correct horse 2026").await;
    let guesses: Vec<String> = (0..30).map(|i| format!("guess {i}")).collect();
    let attempts = guesses
        .iter()
        .map(|g| app.sign_in_from([10, 0, 0, 1], "supervisor_han", g));
    let answers = futures_util::future::join_all(attempts).await;
    assert!(answers.iter().all(|r| r.status == StatusCode::UNAUTHORIZED));
    let actions = audit_actions(&app, "supervisor_han").await;
    let checked = actions.iter().filter(|a| *a == "sign_in_failed").count();
    let refused = actions.iter().filter(|a| *a == "sign_in_refused").count();
    assert_eq!(checked, 5, "exactly five passwords were checked: {actions:?}");
    assert_eq!(refused, 25, "the others were refused without a check: {actions:?}");
    // Locked: the right password fails too, with the same answer.
    let r = app
        .sign_in_from([10, 0, 0, 2], "supervisor_han", "correct horse 2026")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An admin unlocks it, and it may sign in at once.
    let r = app
        .json("admin_qin", "POST", "/api/v1/users/supervisor_han/unlock", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .sign_in_from([10, 0, 0, 2], "supervisor_han", "correct horse 2026")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        audit_actions(&app, "supervisor_han")
            .await
            .contains(&"account_unlocked".to_owned())
    );
}

per_backend!(a_known_locked_name_and_an_unknown_name_get_the_same_answer);
async fn a_known_locked_name_and_an_unknown_name_get_the_same_answer(backend: &str) {
    let app = App::on(backend).await;
    app.with_password("admin_qin", "correct horse 2026").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..7 {
        known.push(
            app.sign_in_from([10, 0, 1, 1], "admin_qin", &format!("guess {i}"))
                .await,
        );
        unknown.push(
            app.sign_in_from([10, 0, 1, 1], "nobody_here", &format!("guess {i}"))
                .await,
        );
    }
    for (k, u) in known.iter().zip(&unknown) {
        assert_eq!(k.status, u.status);
        assert_eq!(k.json()["code"], u.json()["code"]);
        assert_eq!(
            k.json()["detail"],
            u.json()["detail"],
            "the words do not tell the names apart"
        );
    }
    assert_eq!(
        known[6].status,
        StatusCode::UNAUTHORIZED,
        "a locked account answers like a wrong password"
    );
}

per_backend!(one_address_is_throttled_before_it_can_lock_accounts_out);
async fn one_address_is_throttled_before_it_can_lock_accounts_out(backend: &str) {
    let app = App::on_with(
        backend,
        LimitSettings {
            sign_ins_per_minute: 4,
            openings_per_minute: 1_000,
            ..LimitSettings::default()
        },
    )
    .await;
    app.with_password("head_legal", "correct horse 2026").await;
    let attacker = [192, 0, 2, 7];
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(app.sign_in_from(attacker, "head_legal", &format!("guess {i}")).await);
    }
    let limited: Vec<&Resp> = statuses
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(limited.len(), 4, "four tries a minute from one address");
    let wait: u64 = limited[0].headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(limited[0].json()["code"], "rate_limited");
    // Four failures do not lock the account: its owner, elsewhere, signs in.
    let r = app
        .sign_in_from([198, 51, 100, 9], "head_legal", "correct horse 2026")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// --- 3. Nothing unbounded reaches the store from a stranger ---------------------------------

per_backend!(an_oversized_or_odd_sign_in_name_is_refused_before_anything_is_stored);
async fn an_oversized_or_odd_sign_in_name_is_refused_before_anything_is_stored(backend: &str) {
    let app = App::on(backend).await;
    let before = app
        .engine
        .store()
        .audit_entries(None, 100_000)
        .await
        .expect("audit")
        .len();
    let long = "a".repeat(100_000);
    for name in [long.as_str(), "x", "名字", "a b", "admin\r\nqin", &"b".repeat(65)] {
        let r = app.sign_in_from([10, 0, 2, 1], name, "whatever").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:.20}: {}", r.body);
        assert_eq!(r.json()["code"], "invalid_user_name");
    }
    let r = app.sign_in_from([10, 0, 2, 1], "clerk_wang", &"p".repeat(2_000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["code"], "password_too_long");
    let after = app
        .engine
        .store()
        .audit_entries(None, 100_000)
        .await
        .expect("audit")
        .len();
    assert_eq!(before, after, "nothing was written for a refused name");
    // The sign-in page shows a typed name back, never more than an account id can be.
    let page = app.send(None, "GET", "/login", None).await;
    assert_eq!(page.status, 200);
    let cookie = page.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let token = cookie.split_once('=').expect("k=v").1.to_owned();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("user", long.as_str()),
            ("password", "x"),
            ("token", token.as_str()),
            ("next", "/inbox"),
        ])
        .finish();
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let resp = app.router.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24).await.expect("body");
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains(&"a".repeat(64)) && !body.contains(&"a".repeat(65)),
        "the name is shown cut to 64"
    );
    assert!(body.contains("用户名为2至64位"), "the page says what a user name is");
}

// --- 7. Credentials end when they should --------------------------------------------------------

per_backend!(a_reset_or_a_stop_ends_every_session_and_token_and_a_revoked_or_expired_token_never_returns);
async fn a_reset_or_a_stop_ends_every_session_and_token_and_a_revoked_or_expired_token_never_returns(backend: &str) {
    let app = App::on(backend).await;
    app.with_password("clerk_wang", "correct horse 2026").await;
    let issue = |name: &str, days: Option<i64>| {
        let mut b = json!({"name": name});
        if let Some(d) = days {
            b["days"] = json!(d);
        }
        app.json("admin_qin", "POST", "/api/v1/users/clerk_wang/tokens", b)
    };
    let r = issue("robot", Some(30)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let robot = r.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let r = issue("robot", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "names are unique among live tokens");
    for bad in [
        json!({"name": ""}),
        json!({"name": "a b"}),
        json!({"name": "x", "days": 0}),
        json!({"name": "x", "days": 5000}),
    ] {
        let r = app
            .json("admin_qin", "POST", "/api/v1/users/clerk_wang/tokens", bad.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }
    let router = app.router.clone();
    let with_token = |t: String| {
        let router = router.clone();
        async move {
            let req = Request::builder()
                .uri("/api/v1/session")
                .header(header::AUTHORIZATION, format!("Bearer {t}"))
                .body(Body::empty())
                .expect("request");
            router.oneshot(req).await.expect("response").status()
        }
    };
    assert_eq!(with_token(robot.clone()).await, StatusCode::OK);
    let list = app
        .send(Some("admin_qin"), "GET", "/api/v1/users/clerk_wang/tokens", None)
        .await
        .json();
    let robot_row = list["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["name"] == "robot")
        .cloned()
        .expect("listed");
    assert_eq!(robot_row["live"], true);
    assert!(robot_row["last_used_at"].is_string(), "last use is noted: {robot_row}");
    assert!(!list.to_string().contains(&robot), "the list never shows a token");

    // Revoked: gone for good.
    let r = app
        .send(
            Some("admin_qin"),
            "DELETE",
            "/api/v1/users/clerk_wang/tokens/robot",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(with_token(robot.clone()).await, StatusCode::UNAUTHORIZED);
    let r = app
        .send(
            Some("admin_qin"),
            "DELETE",
            "/api/v1/users/clerk_wang/tokens/robot",
            None,
        )
        .await;
    assert_eq!(r.status, 404);

    // Expired: refused.
    let store = app.engine.store();
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        store
            .add_token("expired-token-0123456789", "clerk_wang", "old", now - 10_000, now - 1)
            .await
            .expect("add")
    );
    assert_eq!(
        with_token("expired-token-0123456789".into()).await,
        StatusCode::UNAUTHORIZED
    );

    // A reset ends the session and the tokens.
    let live = issue("second", None).await.json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let session = app
        .sign_in_from([10, 0, 3, 1], "clerk_wang", "correct horse 2026")
        .await;
    assert_eq!(session.status, 200);
    let cookie = session.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let with_cookie = |c: String| {
        let router = router.clone();
        async move {
            let req = Request::builder()
                .uri("/api/v1/session")
                .header(header::COOKIE, c)
                .body(Body::empty())
                .expect("request");
            router.oneshot(req).await.expect("response").status()
        }
    };
    assert_eq!(with_cookie(cookie.clone()).await, StatusCode::OK);
    let r = app
        .json("admin_qin", "POST", "/api/v1/users/clerk_wang/password", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(with_cookie(cookie).await, StatusCode::UNAUTHORIZED, "the session ended");
    assert_eq!(with_token(live).await, StatusCode::UNAUTHORIZED, "the token ended");

    // A stop ends them too, and starting the account again revives none.
    let third = issue("third", None).await.json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(with_token(third.clone()).await, StatusCode::OK);
    for active in [false, true] {
        let r = app
            .json(
                "admin_qin",
                "POST",
                "/api/v1/users/clerk_wang/active",
                json!({"active": active}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(
        with_token(third).await,
        StatusCode::UNAUTHORIZED,
        "a restarted account's old token stays dead"
    );
}
