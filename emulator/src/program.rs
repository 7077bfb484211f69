//! A binary's life, the same for all three: read the arguments (usage errors exit 2, `--help`
//! prints the usage), run on one thread, announce the addresses and `ready` on stdout, serve
//! until SIGTERM or SIGINT (exit 0), or end with a message on stderr (exit 1).

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use crate::args::Command;
use crate::shutdown::ShutdownSignals;

/// What `main` does for the program called `name`: its messages on stderr start with `name: `.
///
/// One thread: on loopback a request is little work, and handing it between worker threads
/// costs more CPU than the work itself; the helpers share the machine's cores with the client
/// they serve.
pub fn main<T, F>(
    name: &str,
    usage: &str,
    parse: impl FnOnce(Vec<String>) -> Result<Command<T>, String>,
    run: impl FnOnce(T) -> F,
) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{usage}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{name}: {message}\n(see --help)");
            return ExitCode::from(2);
        }
    };
    let ran = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|runtime| runtime.block_on(run(options)));
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `lines` and `ready` on stdout, then waits for SIGTERM or SIGINT. The listeners are
/// already serving (spawned tasks); they end with the process.
pub async fn announce_and_serve(lines: Vec<String>) -> Result<(), String> {
    // Handlers go in before "ready", so a signal sent right after it still ends the run cleanly.
    let shutdown =
        ShutdownSignals::register().map_err(|e| format!("cannot handle signals: {e}"))?;
    announce(&lines)?;
    shutdown.wait().await;
    Ok(())
}

/// Prints the start-up lines and `ready` in one flushed write, so a reader never sees half.
fn announce(lines: &[String]) -> Result<(), String> {
    let text: String = lines
        .iter()
        .map(String::as_str)
        .chain(["ready"])
        .map(|line| format!("{line}\n"))
        .collect();
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}
