//! The `yimen` program, built as this crate's own binary so the end-to-end tests can run it.

fn main() -> std::process::ExitCode {
    yimen::main()
}
