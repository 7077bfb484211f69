//! native-token-emulator: the TLS Protect Cloud and Armor token services on 127.0.0.1
//! (see `native_token_emulator::services`).

use std::process::ExitCode;

use native_token_emulator::{program, services};

fn main() -> ExitCode {
    program::main(
        "native-token-emulator",
        services::cli::USAGE,
        services::cli::parse,
        services::run,
    )
}
