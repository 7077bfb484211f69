//! native-token-emulator: the TLS Protect Cloud and Armor token services on 127.0.0.1
//! (see `native_token_emulator::services`).

fn main() -> std::process::ExitCode {
    native_token_emulator::services::main()
}
