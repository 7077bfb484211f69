//! Starts one of this package's built binaries and reads its announcement: the lines it prints
//! on stdout up to and including `ready` (`http: http://127.0.0.1:PORT`, `proxy: ...`,
//! `relay: ...`, `cert: PATH`). For tests: the emulator's own, and other crates' through a
//! dev-dependency on this package (they still build the binaries first: a dev-dependency
//! brings the library, not the binaries).

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};

/// A running binary that has announced itself, killed when dropped.
pub struct Launched {
    child: Child,
    /// The lines printed on stdout before and including `ready`.
    announcement: Vec<String>,
}

impl Launched {
    /// Spawns `command` with stdin closed and stdout piped (stderr stays as the caller set it)
    /// and reads its announcement. `what` names the program in errors ("emulator", "proxy").
    /// Fails if it cannot start or ends before `ready`.
    pub fn start(mut command: Command, what: &str) -> io::Result<Launched> {
        let program = command.get_program().to_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot start the {what} ({program:?}): {e}"),
                )
            })?;
        // Owned from here on, so that a failure below still kills it (in drop).
        let mut launched = Launched {
            child,
            announcement: Vec::new(),
        };
        launched.announcement = read_announcement(&mut launched.child, what)?;
        Ok(launched)
    }

    /// Every line of the announcement, `ready` last.
    pub fn announcement(&self) -> &[String] {
        &self.announcement
    }

    /// The value of the first announcement line `KEY: VALUE`, such as `http://127.0.0.1:PORT`
    /// for `http`.
    pub fn announced(&self, key: &str) -> Option<&str> {
        self.all_announced(key).next()
    }

    /// The values of every line `KEY: VALUE` (the relay announces one line per listener).
    pub fn all_announced<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = format!("{key}: ");
        self.announcement
            .iter()
            .filter_map(move |line| line.strip_prefix(prefix.as_str()))
    }

    /// The port at the end of the value announced under `key` (`http://127.0.0.1:PORT`,
    /// `127.0.0.1:PORT`).
    pub fn port(&self, key: &str) -> Option<u16> {
        self.announced(key)
            .and_then(|value| value.rsplit(':').next())
            .and_then(|port| port.parse().ok())
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the program and waits for it (again: nothing). Dropping does this too; an owner
    /// that must clean up after the program (its folder) calls it first.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ends the program as a user would (SIGTERM on Unix, where it exits cleanly; killed
    /// elsewhere) and waits for it.
    pub fn terminate(&mut self) -> io::Result<ExitStatus> {
        #[cfg(unix)]
        {
            let pid = self.child.id().to_string();
            let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
            if !sent.success() {
                return Err(io::Error::new(
                    io::ErrorKind::Other,
                    format!("kill -TERM {} failed: {sent}", self.child.id()),
                ));
            }
        }
        #[cfg(not(unix))]
        self.child.kill()?;
        self.child.wait()
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `child`'s stdout up to and including its `ready` line and returns those lines.
fn read_announcement(child: &mut Child, what: &str) -> io::Result<Vec<String>> {
    let stdout = child.stdout.take().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Other,
            format!("the {what}'s stdout is not piped"),
        )
    })?;
    let mut stdout = BufReader::new(stdout);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read the {what}'s stdout: {e}"))
        })?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the {what} exited before ready; stdout so far: {lines:?}"),
            ));
        }
        lines.push(line.trim_end().to_owned());
        if line.trim_end() == "ready" {
            return Ok(lines);
        }
    }
}

/// Where cargo put this workspace's binary `name` (`native-token-emulator`, `native-token-proxy`,
/// `native-token-relay`), seen from a running test: the test executable is in
/// `<target>/<profile>/deps/`, the binaries in `<target>/<profile>/`.
pub fn built_binary(name: &str) -> io::Result<PathBuf> {
    let test_executable = std::env::current_exe()?;
    let profile_dir = test_executable
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no target directory above {}", test_executable.display()),
            )
        })?;
    let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if binary.exists() {
        Ok(binary)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is not built; build it first with: scripts/cargo build -p native-token-emulator",
                binary.display()
            ),
        ))
    }
}
