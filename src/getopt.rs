//! A tiny POSIX getopt, as daemontools' `sgetopt`: clustered flags (`-du`),
//! option arguments attached or separate (`-m100`, `-m 100`), `--` ends the
//! options, and so does the first operand or a lone `-`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// One parsed option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opt {
    Flag(u8),
    Arg(u8, OsString),
    /// Not in the option string: daemontools says `PROG: illegal option -- C`.
    Illegal(u8),
    /// Takes an argument and got none: `PROG: option requires an argument -- C`.
    MissingArg(u8),
}

/// Iterates over the options of `args` (program name excluded); afterwards
/// [`Getopt::operands`] gives the rest.
pub struct Getopt {
    args: Vec<OsString>,
    spec: &'static [u8],
    next: usize,
    pos: usize,
}

impl Getopt {
    /// `spec` lists the option letters; a letter followed by `:` takes an argument.
    pub fn new(args: Vec<OsString>, spec: &'static str) -> Getopt {
        Getopt { args, spec: spec.as_bytes(), next: 0, pos: 0 }
    }

    /// The operands after the options.
    pub fn operands(self) -> Vec<OsString> {
        self.args.into_iter().skip(self.next).collect()
    }

    fn takes_arg(&self, c: u8) -> Option<bool> {
        let i = self.spec.iter().position(|&s| s == c && s != b':')?;
        Some(self.spec.get(i + 1) == Some(&b':'))
    }
}

impl Iterator for Getopt {
    type Item = Opt;

    fn next(&mut self) -> Option<Opt> {
        if self.pos == 0 {
            let arg = self.args.get(self.next)?.as_bytes();
            if arg == b"--" {
                self.next += 1;
                return None;
            }
            if arg.len() < 2 || arg[0] != b'-' {
                return None;
            }
            self.pos = 1;
        }
        let arg = self.args[self.next].as_bytes();
        let c = arg[self.pos];
        self.pos += 1;
        let rest = &arg[self.pos..];
        let at_end = rest.is_empty();
        let opt = match self.takes_arg(c) {
            None => Opt::Illegal(c),
            Some(false) => Opt::Flag(c),
            Some(true) if !at_end => {
                let value = OsString::from(std::ffi::OsStr::from_bytes(rest));
                self.pos = arg.len();
                Opt::Arg(c, value)
            }
            Some(true) => match self.args.get(self.next + 1) {
                Some(value) => {
                    let value = value.clone();
                    self.next += 2;
                    self.pos = 0;
                    return Some(Opt::Arg(c, value));
                }
                None => Opt::MissingArg(c),
            },
        };
        if self.pos >= self.args[self.next].len() {
            self.next += 1;
            self.pos = 0;
        }
        Some(opt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], spec: &'static str) -> (Vec<Opt>, Vec<String>) {
        let mut g = Getopt::new(args.iter().map(OsString::from).collect(), spec);
        let opts: Vec<Opt> = g.by_ref().collect();
        let rest = g.operands().into_iter().map(|s| s.into_string().unwrap()).collect();
        (opts, rest)
    }

    #[test]
    fn clusters_and_operands() {
        let (o, r) = parse(&["-du", "-x", "a", "-k"], "udx");
        assert_eq!(o, vec![Opt::Flag(b'd'), Opt::Flag(b'u'), Opt::Flag(b'x')]);
        assert_eq!(r, vec!["a", "-k"]);
    }

    #[test]
    fn double_dash_and_lone_dash() {
        assert_eq!(parse(&["-u", "--", "-d"], "ud"), (vec![Opt::Flag(b'u')], vec!["-d".into()]));
        assert_eq!(parse(&["-", "x"], "ud"), (vec![], vec!["-".into(), "x".into()]));
    }

    #[test]
    fn illegal_and_arguments() {
        let (o, r) = parse(&["-uz", "-m100", "-m", "7", "f"], "um:");
        assert_eq!(
            o,
            vec![Opt::Flag(b'u'), Opt::Illegal(b'z'), Opt::Arg(b'm', "100".into()), Opt::Arg(b'm', "7".into())]
        );
        assert_eq!(r, vec!["f"]);
        assert_eq!(parse(&["-m"], "m:").0, vec![Opt::MissingArg(b'm')]);
        let (o, r) = parse(&["-m", "100000000", "-um", "-5", "x"], "um:");
        assert_eq!(o, vec![Opt::Arg(b'm', "100000000".into()), Opt::Flag(b'u'), Opt::Arg(b'm', "-5".into())]);
        assert_eq!(r, vec!["x"]);
        assert_eq!(parse(&["-:"], "m:").0, vec![Opt::Illegal(b':')]);
    }
}
