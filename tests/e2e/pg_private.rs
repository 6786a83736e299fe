//! A private PostgreSQL cluster of a test's own (so the shared server other tests use is never
//! touched): made with `initdb`, started and stopped with `pg_ctl`, as the `postgres` user when
//! the tests run as root (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The newest PostgreSQL server binaries installed.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/test.sh installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb")
}

/// Whether the tests run as root.
pub fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root.
fn as_postgres(tool: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    cmd.args(args).output().expect("run a PostgreSQL tool")
}

/// Gives a directory to the `postgres` user when we are root.
pub fn give_to_postgres(dir: &Path) {
    if root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown {} to postgres", dir.display());
    }
}

/// A running private cluster; stopped (immediately) when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: String,
    opts: String,
    log: String,
    /// `postgres://…` for its `postgres` database.
    pub url: String,
}

impl Cluster {
    /// Makes a cluster with its data in `data` (a directory that does not exist yet, inside one
    /// the `postgres` user owns), its write-ahead log in `wal` when given, sockets and log in
    /// `run`, and starts it on a free port.
    pub fn start(data: &Path, wal: Option<&Path>, run: &Path) -> Cluster {
        let bin = pg_bin();
        let data = data.display().to_string();
        let mut args = vec!["-D", data.as_str(), "-A", "trust", "-U", "postgres", "--no-sync"];
        let wal = wal.map(|w| w.display().to_string());
        if let Some(w) = &wal {
            args.extend(["-X", w.as_str()]);
        }
        let out = as_postgres(&bin.join("initdb"), &args);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let cluster = Cluster {
            bin,
            data,
            opts: format!("-p {port} -k {} -c listen_addresses=127.0.0.1", run.display()),
            log: run.join("pg.log").display().to_string(),
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        cluster.ctl(&["-o", &cluster.opts, "-l", &cluster.log, "-w", "start"]);
        cluster
    }

    /// Restarts it (`pg_ctl restart -m fast`).
    pub fn restart(&self) {
        self.ctl(&["-m", "fast", "-w", "restart", "-o", &self.opts, "-l", &self.log]);
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn ctl(&self, args: &[&str]) {
        let mut all = vec!["-D", self.data.as_str()];
        all.extend_from_slice(args);
        let out = as_postgres(&self.bin.join("pg_ctl"), &all);
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"), &["-D", &self.data, "-m", "immediate", "stop"]);
    }
}
