//! `yimen serve`: starts on a fresh SQLite file, logs what it loaded, answers, and stops
//! cleanly on Ctrl-C and SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::yimen;

struct Server {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = yimen()
            .args(["serve", "--db", db, "--bind", "127.0.0.1:0"])
            .env("NO_COLOR", "1")
            .env("RUST_LOG_STYLE", "never")
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
        let mut server = Server {
            child,
            addr: String::new(),
            log: rx,
            seen: Vec::new(),
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

    fn wait_for(&mut self, needle: &str) -> String {
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

    fn get(&self, path: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("write");
        let mut body = String::new();
        s.read_to_string(&mut body).expect("read");
        body
    }

    fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    fn wait(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = self.child.wait().expect("wait");
        self.seen.extend(self.log.try_iter());
        // Drain what the reader threads still hold.
        std::thread::sleep(Duration::from_millis(100));
        self.seen.extend(self.log.try_iter());
        (status, self.seen)
    }
}

#[test]
fn serves_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("yimen.db");
    let db = format!("sqlite://{}", db_path.display());
    let mut server = Server::start(&db);
    let loaded = server
        .seen
        .iter()
        .find(|l| l.contains("workflows loaded and valid"))
        .cloned()
        .expect("it logs what it loaded");
    assert!(loaded.contains("case_types=4"), "{loaded}");
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains("deployed a new version") && l.contains("labour_dispute"))
    );
    assert!(db_path.exists(), "the database file is created");

    let health = server.get("/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let types = server.get("/api/v1/case-types");
    assert!(
        types.contains("\"id\":\"labour_dispute\"") && types.contains("\"version\":1"),
        "{types}"
    );
    let missing = server.get("/nowhere");
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("application/problem+json"),
        "{missing}"
    );

    server.signal("-INT");
    server.wait_for("stopped");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?}\n{}", log.join("\n"));
}

#[test]
fn restarts_keep_versions_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db);
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());

    // Unchanged workflows: the same versions, nothing redeployed.
    let server = Server::start(&db);
    assert!(
        !server.seen.iter().any(|l| l.contains("deployed a new version")),
        "{:?}",
        server.seen
    );
    let types = server.get("/api/v1/case-types");
    assert!(
        types.contains("\"version\":1") && !types.contains("\"version\":2"),
        "{types}"
    );
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());
}

#[test]
fn refuses_to_start_on_broken_workflows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    yimen_tests::copy_dir(&yimen_tests::workflows(), &root);
    std::fs::write(root.join("cases/broken.yaml"), "id: broken\nname: [\n").expect("write");
    let out = yimen()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workflows",
            root.to_str().expect("utf-8"),
        ])
        .arg("--db")
        .arg(format!("sqlite://{}", dir.path().join("y.db").display()))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:") && err.contains("error[Y0105]"), "{err}");
    assert!(
        !dir.path().join("y.db").exists(),
        "nothing is created when the workflows are broken"
    );
}
