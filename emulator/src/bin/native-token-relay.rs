//! native-token-relay: a TCP relay on 127.0.0.1 that adds round trips in front of a server
//! (see `native_token_emulator::relay`).

fn main() -> std::process::ExitCode {
    native_token_emulator::relay::main()
}
