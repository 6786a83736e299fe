//! Helpers for the end-to-end tests: where the built `yimen` binary and the bundled workflows
//! are, and a copy of the workflows to break.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The bundled workflows directory.
pub fn workflows() -> PathBuf {
    root().join("workflows")
}

/// The `yimen` program (this crate's `yimen-e2e` binary, the same code as `yimen`), run in
/// the workspace root with no `YIMEN_*` settings inherited. The per-node rate limits are set
/// out of reach (the tests stream hundreds of requests a minute with one token from one
/// address); a test of the limits sets its own.
pub fn yimen(exe: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.current_dir(root());
    cmd.env_remove("YIMEN_DATABASE_URL")
        .env_remove("YIMEN_WORKFLOWS")
        .env_remove("YIMEN_BIND")
        .env("YIMEN_OPENINGS_PER_MINUTE", "100000000")
        .env("YIMEN_UPLOADS_PER_MINUTE", "100000000")
        .env("YIMEN_SIGN_INS_PER_MINUTE", "100000000");
    cmd
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
