//! A real SMTP server for the tests that send email: aiosmtpd on a loopback port, writing each
//! message into a Maildir, started from the test script's Python.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) fn python() -> String {
    std::env::var("YIMEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub(crate) struct Smtp {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn start_smtp(maildir: &Path) -> Smtp {
    start_smtp_on(maildir, free_port())
}

/// An SMTP server on `port` (to bring one back where it was).
pub(crate) fn start_smtp_on(maildir: &Path, port: u16) -> Smtp {
    let child = Command::new(python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start aiosmtpd with {} ({e}); run scripts/test.sh, which installs it",
                python()
            )
        });
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start; run scripts/test.sh, which installs it"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Smtp { child, port }
}

/// The messages in a Maildir, decoded by Python's email package: [{to, subject, body, message_id}].
pub(crate) fn read_maildir(maildir: &Path) -> Vec<Value> {
    let script = r#"
import json, mailbox, sys
from email import policy
from email.parser import BytesParser
out = []
for key, msg in mailbox.Maildir(sys.argv[1], factory=None).items():
    m = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    body = m.get_body(preferencelist=('plain',))
    html = m.get_body(preferencelist=('html',))
    out.append({"to": str(m["To"]), "subject": str(m["Subject"]), "body": body.get_content() if body else "", "html": html.get_content() if html else "", "message_id": str(m["Message-ID"])})
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(maildir)
        .output()
        .expect("python");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}
