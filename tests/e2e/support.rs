//! A running `yimen serve` for tests, and a small HTTP client (no dependency).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::yimen;

/// A server process.
pub struct Server {
    pub child: Child,
    pub addr: String,
    log: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    /// `--db` and `--workflows` as given, to make accounts and tokens for clients.
    db: Option<String>,
    workflows: Option<String>,
    tokens: std::cell::RefCell<std::collections::HashMap<String, String>>,
}

impl Server {
    /// Starts `yimen serve` on a free port with `db` and extra arguments, and waits until it listens.
    pub fn start(db: &str, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--db", db, "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Server::start_with(&args)
    }

    /// Starts `yimen` with exactly these arguments and waits until it listens.
    pub fn start_with(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// Starts `yimen` with these arguments and extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = yimen()
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let flag = |name: &str| {
            args.iter()
                .position(|a| *a == name)
                .and_then(|i| args.get(i + 1))
                .map(|s| (*s).to_owned())
        };
        let mut server = Server {
            child,
            addr: String::new(),
            log: rx,
            seen: Vec::new(),
            db: flag("--db"),
            workflows: flag("--workflows"),
            tokens: std::cell::RefCell::new(std::collections::HashMap::new()),
        };
        let line = server.wait_for("listening on http://");
        server.addr = line
            .split("listening on http://")
            .nth(1)
            .expect("address")
            .trim()
            .to_owned();
        server
    }

    /// Waits for a log line containing `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.log.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no `{needle}` in the log:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Sends a signal (`-INT`, `-TERM`, `-KILL`).
    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to end; returns its status and log.
    pub fn wait(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = self.child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(100));
        let rest: Vec<String> = self.log.try_iter().collect();
        self.seen.extend(rest);
        (status, std::mem::take(&mut self.seen))
    }

    /// A client for this server acting as `user`: an account copied from the organisation's
    /// user of that name (without a password) and an API token for it, made with `yimen user`.
    /// An empty name gives a client without credentials; a name the organisation does not know
    /// gives one with a token that is not valid.
    pub fn client(&self, user: &str) -> Client {
        Client {
            addr: self.addr.clone(),
            token: if user.is_empty() { None } else { Some(self.token(user)) },
        }
    }

    /// The value of counter `name` in the server's `/metrics` (0 before it first counts).
    pub fn counter(&self, name: &str) -> u64 {
        let body = self.client("admin_qin").get("/metrics").body;
        body.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .sum()
    }

    /// Waits until the loop counted by `name` has made `n` more passes than now: whatever was
    /// due before this call has then been handled, so a test can check that something did
    /// *not* happen without trusting a sleep to have been long enough.
    pub fn wait_passes(&self, name: &str, n: u64) {
        let start = self.counter(name);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while self.counter(name) < start + n {
            assert!(
                std::time::Instant::now() < deadline,
                "`{name}` did not advance by {n} within 60 s (from {start})"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// An API token for `user` (made once per server).
    pub fn token(&self, user: &str) -> String {
        if let Some(t) = self.tokens.borrow().get(user) {
            return t.clone();
        }
        let db = self.db.clone().expect("the server was started with --db");
        let mut at = vec!["--db".to_owned(), db];
        if let Some(w) = &self.workflows {
            at.extend(["--workflows".to_owned(), w.clone()]);
        }
        let added = yimen()
            .args([
                "user",
                "add",
                user,
                "--from-organisation",
                "--no-password",
                "--if-missing",
            ])
            .args(&at)
            .output()
            .expect("yimen user add");
        let token = if added.status.success() {
            let out = yimen()
                .args(["user", "token", user])
                .args(&at)
                .output()
                .expect("yimen user token");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        } else {
            "not-a-valid-token".to_owned()
        };
        self.tokens.borrow_mut().insert(user.to_owned(), token.clone());
        token
    }
}

/// A server a test forgot to stop (or that a failed assertion left behind) does not outlive it.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// An HTTP/1.1 client that opens a connection per request.
#[derive(Debug, Clone)]
pub struct Client {
    pub addr: String,
    pub token: Option<String>,
}

impl Client {
    /// GET.
    pub fn get(&self, path: &str) -> Response {
        self.send("GET", path, None, &[]).expect("request")
    }

    /// POST a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.send("POST", path, Some(body.to_string().as_bytes()), &[])
            .expect("request")
    }

    /// POST with an idempotency key.
    pub fn post_keyed(&self, path: &str, body: &Value, key: &str) -> std::io::Result<Response> {
        self.send(
            "POST",
            path,
            Some(body.to_string().as_bytes()),
            &[("Idempotency-Key", key)],
        )
    }

    /// Any request; an I/O error when the server is gone.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> std::io::Result<Response> {
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = &self.token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                head.push_str("Content-Type: application/json\r\n");
            }
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        if let Some(b) = body {
            // A server may answer and close before reading a huge body; that is its right.
            let _ = s.write_all(b);
        }
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| std::io::Error::other(format!("no response: {text:?}")))?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("bad status line"))?;
        let header = |name: &str| {
            head.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
        };
        let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            dechunk(body)
        } else {
            body.to_owned()
        };
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Ok(Response {
            status,
            content_type: header("content-type").unwrap_or_default(),
            body,
            headers,
        })
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Makes an account with `yimen user add ID <args> --password-stdin --db DB`, the password on
/// standard input.
pub fn add_user(db: &str, id: &str, args: &[&str], password: &str) {
    use std::io::Write as _;
    let mut child = yimen()
        .args(["user", "add", id])
        .args(args)
        .args(["--password-stdin", "--db", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// What clients streaming case openings got: each acknowledged request's marker and case id, and
/// each refusal's status and problem code.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub acked: std::collections::BTreeMap<String, String>,
    pub refused: Vec<(u16, String)>,
}

/// Clients that open cases one after another, each with its own idempotency key, sending a
/// request again (same key) until it is answered with success. A refusal (an answer that is not
/// a success) wrote nothing, so a client gives its request up after a refusal once stopped; a
/// request whose answer was lost (the connection failed) may have been applied, so it is sent
/// again until it is answered, stopped or not.
pub struct Openers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tally: std::sync::Arc<std::sync::Mutex<Tally>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Openers {
    /// Starts `n` clients against `addr` with `token`; `padding` characters of content make each
    /// case bigger.
    pub fn start(addr: &str, token: &str, n: usize, padding: usize) -> Openers {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tally = std::sync::Arc::new(std::sync::Mutex::new(Tally::default()));
        let threads = (0..n)
            .map(|c| {
                let (stop, tally) = (stop.clone(), tally.clone());
                let client = Client {
                    addr: addr.to_owned(),
                    token: Some(token.to_owned()),
                };
                std::thread::spawn(move || {
                    let content = format!("路灯不亮 {}", "长".repeat(padding));
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let marker = format!("r{c}-{n}");
                        let body = serde_json::json!({"channel": "hotline_12345", "fields": {"caller": marker, "caller_phone": "13800138000", "category": "request", "content": content}}).to_string();
                        let key = format!("open-{marker}");
                        let mut lost = 0;
                        loop {
                            match client.send("POST", "/api/v1/cases", Some(body.as_bytes()), &[("Idempotency-Key", &key)]) {
                                Ok(r) if r.status == 201 || r.status == 200 => {
                                    let id = r.json()["id"].as_str().expect("id").to_owned();
                                    tally.lock().expect("lock").acked.insert(marker.clone(), id);
                                    break;
                                }
                                Ok(r) => {
                                    let code = serde_json::from_str::<Value>(&r.body)
                                        .ok()
                                        .and_then(|v| v["code"].as_str().map(str::to_owned))
                                        .unwrap_or_default();
                                    tally.lock().expect("lock").refused.push((r.status, code));
                                    if stop.load(Ordering::Relaxed) {
                                        break;
                                    }
                                }
                                Err(e) => {
                                    lost += 1;
                                    assert!(lost < 600, "{marker}: no answer for a minute: {e}");
                                }
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                })
            })
            .collect();
        Openers { stop, tally, threads }
    }

    /// What they got so far.
    pub fn tally(&self) -> Tally {
        self.tally.lock().expect("lock").clone()
    }

    /// Stops them and waits until each has an answer to its last request.
    pub fn finish(self) -> Tally {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("a client");
        }
        self.tally.lock().expect("lock").clone()
    }
}
