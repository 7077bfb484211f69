//! native-token-proxy: a forward HTTP proxy on 127.0.0.1 for the proxy tests
//! (see `native_token_emulator::proxy`).

fn main() -> std::process::ExitCode {
    native_token_emulator::proxy::main()
}
