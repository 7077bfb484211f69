//! native-token-relay: a TCP relay on 127.0.0.1 that adds round trips in front of a server
//! (see `native_token_emulator::relay`).

use std::process::ExitCode;

use native_token_emulator::{program, relay};

fn main() -> ExitCode {
    program::main(
        "native-token-relay",
        relay::cli::USAGE,
        relay::cli::parse,
        relay::run,
    )
}
