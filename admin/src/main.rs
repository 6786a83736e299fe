fn main() -> std::process::ExitCode {
    yimen::main()
}
