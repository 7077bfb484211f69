//! Command-line flags as all three binaries take them: `--flag VALUE` or `--flag=VALUE`.

use std::path::PathBuf;

/// What the command line asks for.
pub enum Command<T> {
    Run(T),
    Help,
}

/// One flag, with the value written after `=` if it had one.
pub struct Flag {
    pub name: String,
    inline_value: Option<String>,
}

impl Flag {
    /// The error for a flag the program does not know.
    pub fn unknown(&self) -> String {
        format!("unknown argument {:?}", self.name)
    }
}

/// The arguments (without the program name), read flag by flag.
pub struct Args<I> {
    rest: I,
}

impl<I: Iterator<Item = String>> Args<I> {
    pub fn new(args: impl IntoIterator<Item = String, IntoIter = I>) -> Self {
        Args {
            rest: args.into_iter(),
        }
    }

    /// The next flag: `--name=value` splits at its first `=`; anything else is a name.
    pub fn next_flag(&mut self) -> Option<Flag> {
        let arg = self.rest.next()?;
        Some(match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => Flag {
                name: name.to_owned(),
                inline_value: Some(value.to_owned()),
            },
            _ => Flag {
                name: arg,
                inline_value: None,
            },
        })
    }

    /// The flag's value: the one after `=`, else the next argument.
    pub fn value(&mut self, flag: &Flag) -> Result<String, String> {
        flag.inline_value
            .clone()
            .or_else(|| self.rest.next())
            .ok_or_else(|| format!("{} needs a value", flag.name))
    }

    /// The flag's value as a port number (0 picks a free port).
    pub fn port(&mut self, flag: &Flag) -> Result<u16, String> {
        let text = self.value(flag)?;
        text.parse()
            .map_err(|_| format!("{} needs a port number 0-65535, not {text:?}", flag.name))
    }

    /// The flag's value as a path.
    pub fn path(&mut self, flag: &Flag) -> Result<PathBuf, String> {
        self.value(flag).map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args<std::vec::IntoIter<String>> {
        Args::new(list.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn values_come_inline_or_next() {
        let mut args = args(&["--a=1=2", "--b", "3", "-h", "--port=x", "--log"]);
        let flag = args.next_flag().unwrap();
        assert_eq!(
            (flag.name.as_str(), args.value(&flag)),
            ("--a", Ok("1=2".into()))
        );
        let flag = args.next_flag().unwrap();
        assert_eq!(
            (flag.name.as_str(), args.value(&flag)),
            ("--b", Ok("3".into()))
        );
        let flag = args.next_flag().unwrap();
        assert_eq!(
            (flag.name.as_str(), flag.unknown()),
            ("-h", "unknown argument \"-h\"".into())
        );
        let flag = args.next_flag().unwrap();
        assert_eq!(
            args.port(&flag),
            Err("--port needs a port number 0-65535, not \"x\"".into())
        );
        let flag = args.next_flag().unwrap();
        assert_eq!(args.path(&flag), Err("--log needs a value".into()));
        assert!(args.next_flag().is_none());
    }
}
