//! Signing in as a person does: a password sign-in that sets a server-side session cookie
//! (HTTP-only, SameSite), CSRF on every change made with the cookie, lock-out after repeated
//! failures, no session fixation, sign-out, API tokens, and an audit log of it all.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::{Client, Server};
use crate::yimen;

fn add_user(db: &str, id: &str, role: &str, password: &str) {
    crate::support::add_user(db, id, &["--role", role, "--department", "hotline_12345"], password);
}

fn anonymous(server: &Server) -> Client {
    server.client("")
}

fn sign_in(server: &Server, user: &str, password: &str) -> crate::support::Response {
    anonymous(server).post("/api/v1/session", &json!({"user": user, "password": password}))
}

#[test]
fn a_person_signs_in_works_with_the_cookie_and_signs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    add_user(&db, "li_na", "handler", "长城 long password 2026");
    let server = Server::start(&db, &[]);

    // A weak password is refused at creation; a generated one is printed once.
    let out = yimen()
        .args([
            "user",
            "add",
            "weak",
            "--role",
            "handler",
            "--password-stdin",
            "--db",
            &db,
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = yimen()
        .args(["user", "add", "first_admin", "--admin", "--db", &db])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let generated = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the password is shown once")
        .to_owned();
    assert_eq!(generated.chars().count(), 16);
    assert_eq!(sign_in(&server, "first_admin", &generated).status, 200);

    // Wrong password and unknown user get the same answer.
    let r1 = sign_in(&server, "li_na", "wrong");
    let r2 = sign_in(&server, "nobody", "wrong");
    assert_eq!((r1.status, r2.status), (401, 401));
    assert_eq!(r1.json()["code"], r2.json()["code"]);

    let r = sign_in(&server, "li_na", "长城 long password 2026");
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.header("set-cookie").expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let sid = cookie.split(';').next().expect("pair").to_owned();
    let csrf = r.json()["csrf"].as_str().expect("csrf").to_owned();

    let c = anonymous(&server);
    let with = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut h = vec![("Cookie".to_owned(), sid.clone())];
        h.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        h
    };
    let send = |method: &str, path: &str, body: Option<&Value>, headers: Vec<(String, String)>| {
        let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let b = body.map(|b| b.to_string());
        c.send(method, path, b.as_deref().map(str::as_bytes), &hs)
            .expect("request")
    };
    let me = send("GET", "/api/v1/session", None, with(&[]));
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["user"], "li_na");
    assert_eq!(send("GET", "/api/v1/inbox", None, with(&[])).status, 200);

    // A change with the cookie but without the CSRF token is refused and changes nothing.
    let case = json!({"channel": "hotline_12345", "fields": {"caller": "市民", "caller_phone": "13900000001", "category": "request", "content": "路灯"}});
    let r = send("POST", "/api/v1/cases", Some(&case), with(&[]));
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("csrf")));
    let r = send("POST", "/api/v1/cases", Some(&case), with(&[("X-CSRF-Token", "guess")]));
    assert_eq!(r.status, 403);
    let r = send("POST", "/api/v1/cases", Some(&case), with(&[("X-CSRF-Token", &csrf)]));
    assert_eq!(r.status, 201, "{}", r.body);

    // Session fixation: a session id the client makes up is worth nothing, and signing in gives
    // a new id each time.
    let planted = send(
        "GET",
        "/api/v1/inbox",
        None,
        vec![("Cookie".into(), "yimen_session=planted".into())],
    );
    assert_eq!(planted.status, 401);
    let again = sign_in(&server, "li_na", "长城 long password 2026");
    let sid2 = again
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    assert_ne!(sid, sid2);

    // Sign out: the cookie no longer works.
    assert_eq!(
        send("DELETE", "/api/v1/session", None, with(&[])).status,
        403,
        "sign-out needs the CSRF token"
    );
    assert_eq!(
        send("DELETE", "/api/v1/session", None, with(&[("X-CSRF-Token", &csrf)])).status,
        204
    );
    assert_eq!(send("GET", "/api/v1/inbox", None, with(&[])).status, 401);

    // Brute force: after 5 failures the account is locked, even for the right password — and
    // the answer is the one a wrong password gets, so nobody learns which names exist.
    for _ in 0..5 {
        assert_eq!(sign_in(&server, "li_na", "guess").status, 401);
    }
    let r = sign_in(&server, "li_na", "长城 long password 2026");
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("wrong_credentials")),
        "{}",
        r.body
    );
    let unknown = sign_in(&server, "nobody_at_all", "guess");
    assert_eq!(unknown.json()["detail"], r.json()["detail"]);
    // An admin resets the password, which unlocks the account.
    let out = yimen()
        .args(["user", "password", "li_na", "--db", &db])
        .output()
        .expect("run");
    let fresh = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("password: ").map(str::to_owned))
        .expect("new password");
    assert_eq!(sign_in(&server, "li_na", &fresh).status, 200);

    // A bad token, a malformed header: 401 and nothing else.
    let r = anonymous(&server)
        .send("GET", "/api/v1/inbox", None, &[("Authorization", "Bearer nope")])
        .expect("request");
    assert_eq!(r.status, 401);
    let r = anonymous(&server)
        .send("GET", "/api/v1/inbox", None, &[("Authorization", "Basic bGk6bmE=")])
        .expect("request");
    assert_eq!(r.status, 401);

    // The audit log has the story.
    let audit = server.client("admin_qin").get("/api/v1/audit?user=li_na").json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "signed_in",
        "signed_out",
        "sign_in_failed",
        "sign_in_refused",
        "password_set",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert_eq!(server.client("clerk_wang").get("/api/v1/audit").status, 403);
    server.signal("-TERM");
    assert!(server.wait().0.success());
}
