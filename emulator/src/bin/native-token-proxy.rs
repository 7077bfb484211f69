//! native-token-proxy: a forward HTTP proxy on 127.0.0.1 for the proxy tests
//! (see `native_token_emulator::proxy`).

use std::process::ExitCode;

use native_token_emulator::{program, proxy};

fn main() -> ExitCode {
    program::main(
        "native-token-proxy",
        proxy::cli::USAGE,
        proxy::cli::parse,
        proxy::run,
    )
}
