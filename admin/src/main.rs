//! The `yimen` binary.

/// mimalloc: the engine allocates many small, short-lived values per command (cases, events,
/// JSON); measured faster than the system allocator on the W1 benchmark (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    yimen::main()
}
