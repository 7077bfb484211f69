//! Ending on a signal, shared by the three binaries: SIGTERM and SIGINT on
//! Unix; Ctrl+C on Windows (where the tests end the process outright).

/// The signals that end the process.
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl ShutdownSignals {
    /// Starts listening for them (inside the runtime).
    pub fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(ShutdownSignals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(ShutdownSignals {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
    }

    /// Completes when one of them arrives.
    pub async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(windows)]
        self.ctrl_c.recv().await;
    }
}
