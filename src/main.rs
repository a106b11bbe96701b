fn main() -> std::process::ExitCode {
    pipec::run()
}
