//! A log of lines: each on stderr, and appended to a file when one was given (`--log PATH`).
//! The emulator's request log and the proxy's log write through it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

pub struct LineLog {
    file: Option<Mutex<File>>,
}

impl LineLog {
    /// Opens (creates, appends to) the file at `path`, if any.
    pub fn open(path: Option<&Path>) -> io::Result<Self> {
        let file = match path {
            Some(path) => Some(Mutex::new(
                OpenOptions::new().create(true).append(true).open(path)?,
            )),
            None => None,
        };
        Ok(LineLog { file })
    }

    pub fn line(&self, line: &str) {
        eprintln!("{line}");
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A full disk must not take the program down; stderr still has the line.
            let _ = writeln!(file, "{line}");
        }
    }
}
