//! Attacks a page-using person could meet: a form posted from another site (CSRF), a sign-in
//! form posted from another site, a session id planted before sign-in, SQL and HTML in every
//! text field, an oversized form, guessing passwords.

mod common;

use common::per_backend;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::App;
use tower::ServiceExt;

/// A browser: cookies kept between requests.
struct Browser<'a> {
    app: &'a App,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a App) -> Self {
        Self {
            app,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn request(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            req = req.header(header::COOKIE, self.cookie_header());
        }
        let req = match form {
            Some(pairs) => {
                let body: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish();
                req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
            }
            None => req.body(Body::empty()),
        }
        .expect("request");
        let resp = self.app.router.clone().oneshot(req).await.expect("response");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().expect("cookie");
            let pair = v.split(';').next().expect("pair");
            let (k, val) = pair.split_once('=').expect("k=v");
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().expect("location").to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.request("POST", path, Some(form)).await
    }

    /// Signs in through the sign-in page.
    async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        let token = hidden(&page.body, "token");
        self.post(
            "/login",
            &[
                ("user", user),
                ("password", password),
                ("token", &token),
                ("next", "/inbox"),
            ],
        )
        .await
    }

    fn session(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == "yimen_session")
            .map(|(_, v)| v.clone())
    }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle).unwrap_or_else(|| panic!("no {name} in the page")) + needle.len();
    html[start..].split('"').next().expect("value").to_owned()
}

async fn with_password(app: &App, user: &str, password: &str) {
    app.with_password(user, password).await;
}

async fn open_case(app: &App) -> String {
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            serde_json::json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_owned()
}

async fn history_len(app: &App, id: &str) -> usize {
    app.engine.history(id).await.expect("history").len()
}

per_backend!(a_form_without_the_session_csrf_token_is_refused_and_changes_nothing);
async fn a_form_without_the_session_csrf_token_is_refused_and_changes_nothing(backend: &str) {
    let app = App::on(backend).await;
    with_password(&app, "clerk_wang", "correct horse 2026").await;
    let id = open_case(&app).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("clerk_wang", "correct horse 2026").await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/inbox"))
    );
    let page = b.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.body, "csrf");
    let before = history_len(&app, &id).await;
    // Another site's form: no token, or a guessed one.
    for form in [vec![("text", "伪造")], vec![("text", "伪造"), ("csrf", "0000")]] {
        let r = b.post(&format!("/cases/{id}/comment"), &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    assert_eq!(history_len(&app, &id).await, before, "nothing was written");
    // Our own form.
    let r = b
        .post(
            &format!("/cases/{id}/comment"),
            &[("text", "本人备注"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(history_len(&app, &id).await, before + 1);
    // Signing out also needs the token; afterwards the session is gone.
    let r = b.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.get("/inbox").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/login")));
}

per_backend!(a_sign_in_posted_from_elsewhere_and_a_planted_session_id_are_worth_nothing);
async fn a_sign_in_posted_from_elsewhere_and_a_planted_session_id_are_worth_nothing(backend: &str) {
    let app = App::on(backend).await;
    with_password(&app, "handler_li", "correct horse 2026").await;
    // A sign-in form from another site carries no token matching the sign-in page's cookie.
    let mut b = Browser::new(&app);
    let r = b
        .post(
            "/login",
            &[
                ("user", "handler_li"),
                ("password", "correct horse 2026"),
                ("token", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(b.session().is_none());
    // A session id set before signing in is never promoted: signing in issues a new one.
    b.cookies.push(("yimen_session".into(), "planted-by-attacker".into()));
    assert_eq!(
        b.get("/inbox").await.status,
        StatusCode::SEE_OTHER,
        "a made-up session is no session"
    );
    let r = b.sign_in("handler_li", "correct horse 2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sid = b.session().expect("a session");
    assert_ne!(sid, "planted-by-attacker");
    assert_eq!(b.get("/inbox").await.status, StatusCode::OK);
    let page = b.get("/login").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "signed in already");
}

per_backend!(every_response_forbids_foreign_scripts_and_framing);
async fn every_response_forbids_foreign_scripts_and_framing(backend: &str) {
    let app = App::on(backend).await;
    for path in ["/login", "/api/v1/openapi.json", "/nowhere", "/static/app.css"] {
        let r = app.send(None, "GET", path, None).await;
        let csp = r
            .headers
            .get("content-security-policy")
            .expect("a CSP")
            .to_str()
            .expect("text");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(
            r.headers
                .get("x-content-type-options")
                .map(|v| v.to_str().expect("text")),
            Some("nosniff")
        );
    }
}

per_backend!(guessing_passwords_locks_the_account_and_the_right_one_then_fails_too);
async fn guessing_passwords_locks_the_account_and_the_right_one_then_fails_too(backend: &str) {
    let app = App::on(backend).await;
    with_password(&app, "supervisor_han", "correct horse 2026").await;
    let mut b = Browser::new(&app);
    for i in 0..5 {
        let r = b.sign_in("supervisor_han", &format!("guess {i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}");
        assert!(r.body.contains("用户名或密码错误"));
    }
    let r = b.sign_in("supervisor_han", "correct horse 2026").await;
    // Locked: the same answer as a wrong password (nothing tells a locked name from others).
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "locked");
    assert!(r.body.contains("锁定"));
    assert!(b.session().is_none());
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=supervisor_han", None)
        .await
        .json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"sign_in_refused") && actions.iter().filter(|a| **a == "sign_in_failed").count() == 5,
        "{actions:?}"
    );
    // An admin resetting the password unlocks it.
    let r = app.form("admin_qin", "/admin/users/supervisor_han/password", &[]).await;
    assert_eq!(r.status, 200);
    let start = r
        .body
        .find("<code class=\"secret\">")
        .expect("the new password is shown")
        + "<code class=\"secret\">".len();
    let new_password = r.body[start..].split('<').next().expect("password").to_owned();
    let r = b.sign_in("supervisor_han", &new_password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

const PAYLOAD: &str =
    "x'); DROP TABLE cases; -- \" onmouseover=\"alert(1) <script>alert('xss')</script> <img src=x onerror=alert(2)>";

per_backend!(sql_and_html_in_every_text_field_are_stored_as_text_and_shown_escaped);
async fn sql_and_html_in_every_text_field_are_stored_as_text_and_shown_escaped(backend: &str) {
    let app = App::on(backend).await;
    let defs = app.engine.definitions();
    let mut opened = 0;
    for d in defs.all_current() {
        let Some(channel) = d.def.channels.first() else {
            continue;
        };
        // Every field a clerk types: text and person fields carry the payload; the others a
        // valid value, so the case opens.
        let mut form: Vec<(String, String)> = vec![("channel".into(), channel.clone())];
        for (id, f) in &d.def.fields {
            use yimen_engine::model::case_type::FieldType;
            let v = match f.ty {
                FieldType::Text | FieldType::Person => {
                    PAYLOAD.chars().take(f.max_length.unwrap_or(4000) as usize).collect()
                }
                FieldType::Phone => "13800138000".into(),
                FieldType::IdNumber => "110101199003071233".into(),
                FieldType::Money | FieldType::Integer => "100".into(),
                FieldType::Date => "2026-11-30".into(),
                FieldType::Enum => f
                    .values
                    .as_ref()
                    .and_then(|v| v.keys().next().cloned())
                    .unwrap_or_default(),
                FieldType::Boolean => "true".into(),
                FieldType::Attachment => continue,
            };
            form.push((format!("f.{id}"), v));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = app.form("admin_qin", &format!("/intake/{}", d.def.id), &pairs).await;
        if r.status != 303 {
            // A case type filed only by the centre itself, or one whose fields need more than
            // this (a department id): it must still answer with a page, never a server error.
            assert!(
                r.status.is_client_error(),
                "{}: {} {}",
                d.def.id,
                r.status,
                r.body.chars().take(300).collect::<String>()
            );
            continue;
        }
        opened += 1;
        let loc = r
            .headers
            .get("location")
            .expect("location")
            .to_str()
            .expect("text")
            .to_owned();
        let page = app.send(Some("admin_qin"), "GET", &loc, None).await;
        assert_eq!(page.status, 200, "{}", d.def.id);
        assert!(
            !page.body.contains("<script>alert('xss')</script>"),
            "{}: a script tag reached the page",
            d.def.id
        );
        assert!(
            !page.body.contains("<img src=x"),
            "{}: an img tag reached the page",
            d.def.id
        );
        // Escaped as entities (`&#60;` or `&lt;`): the text is there, its tags are not.
        let shown = [
            "&#60;script&#62;alert(&#39;xss&#39;)",
            "&lt;script&gt;alert(&#39;xss&#39;)",
        ]
        .iter()
        .any(|e| page.body.contains(e));
        if !shown {
            let _ = std::fs::write(std::env::temp_dir().join("yimen-escaped.html"), &page.body);
        }
        assert!(
            shown,
            "{}: the text is shown escaped (page written to the temp dir)",
            d.def.id
        );
        // The inbox search takes the payload too.
        let q = url::form_urlencoded::byte_serialize(PAYLOAD.as_bytes()).collect::<String>();
        let r = app.send(Some("admin_qin"), "GET", &format!("/inbox?q={q}"), None).await;
        assert_eq!(r.status, 200);
    }
    assert!(opened >= 10, "only {opened} case types opened with the payload");
    // The store is intact: every case is there and its history verifies.
    assert_eq!(app.engine.store().case_count().await.expect("count"), opened as i64);
    let audit = app.engine.store().audit_verify().await.expect("verify");
    assert!(audit.broken.is_empty());
}

per_backend!(an_oversized_form_or_body_is_refused_before_anything_is_read_into_the_store);
async fn an_oversized_form_or_body_is_refused_before_anything_is_read_into_the_store(backend: &str) {
    let app = App::on(backend).await;
    let id = open_case(&app).await;
    let before = history_len(&app, &id).await;
    let big = "长".repeat(200_000);
    let r = app
        .form("clerk_wang", &format!("/cases/{id}/comment"), &[("text", &big)])
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        r.body.chars().take(200).collect::<String>()
    );
    let r = app
        .json(
            "clerk_wang",
            "POST",
            &format!("/api/v1/cases/{id}/comments"),
            serde_json::json!({"text": big}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["code"], "body_too_large");
    assert_eq!(history_len(&app, &id).await, before);
}
