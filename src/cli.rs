//! The programs' edge: the one place that prints messages and exits.
//!
//! The rest of the library never prints or exits. Every program is one
//! entry of the one executable, `daemontools-rs`: it declares its [`Prog`]
//! once, and [`multicall`] picks it by the name called ([`called`]), starts
//! it as it asks ([`Start`]) and hands its work to [`run`], which answers
//! `--help` and `--version`, runs it, prints its [`Failure`] and exits with
//! its code (ripgrep's `try_main`, uutils' `uumain`, skalibs' `strerr`;
//! busybox's and toybox's dispatch on the name called).

use crate::msg::{Failure, Level, Prog, EXIT_USAGE};
use std::ffi::{CStr, OsString};
use std::io::Write;
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStringExt;

/// The executable's own name: called by it, it runs the program its first
/// argument names.
pub const MULTICALL: &str = "daemontools-rs";

/// How a program starts. The executable has a C `main` (`no_main`), so
/// nothing is done before it unless the program asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// As Rust's runtime starts a `main`: a closed standard descriptor is
    /// opened on /dev/null, and SIGPIPE is ignored (a write to a pipe no one
    /// reads fails with EPIPE). The programs that were built so before
    /// they became entries of one executable keep it.
    Std,
    /// As a C `main` starts: descriptors and signals as they came, so that a
    /// chain-loader passes a closed standard descriptor on closed to the
    /// program it runs, as daemontools' do, and tai64n's output to a closed
    /// descriptor fails instead of going to /dev/null.
    Bare,
}

/// A program's `run(args)`, with the arguments after the program's name.
pub type Run = fn(Vec<OsString>) -> Result<i32, Failure>;

/// A program's entry.
#[derive(Clone, Copy)]
pub enum Entry {
    /// `run(args)`.
    Args(Run),
    /// readproctitle's: its last argument, in place in the C `main`'s own
    /// argv, which `ps` shows (None without an argument).
    Title(fn(Option<&mut [u8]>) -> Result<i32, Failure>),
}

/// One program of the executable.
#[derive(Clone, Copy)]
pub struct Program {
    pub prog: &'static Prog,
    pub start: Start,
    pub entry: Entry,
}

/// What a call asks for, from its argv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Called<'a> {
    /// Program `index` of the list, its arguments from argv[`from`] on: 1
    /// when called by the program's name, 2 as `daemontools-rs NAME`.
    Program { index: usize, from: usize },
    /// `daemontools-rs` with no program, or with a lone option of its own
    /// (`--help`, `--version`, `--list`, or another, a bad call).
    Itself(Option<&'a [u8]>),
    /// Called by a name that is no program's (through a link or a copy
    /// named so), or `daemontools-rs NAME` with such a name: the name
    /// called and the name asked for.
    Unknown { called: &'a [u8], asked: &'a [u8] },
}

/// The program a call names: the base name of argv[0], or called by the
/// executable's own name, its first argument. `index` finds a name among
/// the programs.
pub fn called<'a>(argv: &[&'a [u8]], index: impl Fn(&[u8]) -> Option<usize>) -> Called<'a> {
    let zero = argv.first().copied().unwrap_or_default();
    let name = zero.rsplit(|&b| b == b'/').next().unwrap_or_default();
    if let Some(index) = index(name) {
        return Called::Program { index, from: 1 };
    }
    if name != MULTICALL.as_bytes() {
        return Called::Unknown { called: name, asked: name };
    }
    match argv.get(1).copied() {
        None => Called::Itself(None),
        Some(asked) if asked.starts_with(b"-") => Called::Itself(Some(asked)),
        Some(asked) => match index(asked) {
            Some(index) => Called::Program { index, from: 2 },
            None => Called::Unknown { called: name, asked },
        },
    }
}

/// The executable's C `main`: runs the program the call names ([`called`])
/// among `programs` (sorted by name), started as it asks, with the
/// arguments after its name. Called by its own name with `--help`, lists
/// them. A name that is none of them exits 100, saying so.
///
/// # Safety
/// `argc` and `argv` are the C runtime's own, as `main` gets them.
pub unsafe fn multicall(programs: &[Program], argc: c_int, argv: *const *mut c_char) -> ! {
    let raw: &[*mut c_char] = match argc {
        // SAFETY: the C runtime's argv holds argc strings.
        1.. => unsafe { std::slice::from_raw_parts(argv, argc as usize) },
        _ => &[],
    };
    // SAFETY: each is a NUL-terminated string the C runtime made.
    let arg = |p: &*mut c_char| unsafe { CStr::from_ptr(*p) }.to_bytes();
    // The program's name is in the first two arguments at most.
    let mut first: [&[u8]; 2] = [b"", b""];
    first.iter_mut().zip(raw).for_each(|(slot, p)| *slot = arg(p));
    let first = &first[..raw.len().min(2)];
    let find = |name: &[u8]| programs.binary_search_by(|p| p.prog.name.as_bytes().cmp(name)).ok();
    let (index, from) = match called(first, find) {
        Called::Program { index, from } => (index, from),
        Called::Itself(option) => itself(programs, option),
        Called::Unknown { called, asked } => {
            let name = if called.is_empty() { MULTICALL.into() } else { String::from_utf8_lossy(called) };
            let what = [&b"unknown program "[..], asked, b" (", MULTICALL.as_bytes(), b" --help lists them)"];
            let _ = std::io::stderr().write_all(&crate::msg::line(&name, Level::Fatal, &what));
            exit(EXIT_USAGE)
        }
    };
    let program = &programs[index];
    let prog = program.prog;
    if crate::sys::exec_name() != Some(prog.name.as_bytes()) {
        // Called as `daemontools-rs NAME` (or by another file name than the
        // program's, argv[0] its name): ps and pgrep show NAME all the same.
        crate::sys::set_name(prog.name.as_bytes());
    }
    if program.start == Start::Std {
        if let Err(e) = crate::sys::open_standard() {
            fail(prog, &Failure::temp(&[b"unable to open /dev/null"], e));
        }
        crate::sys::ignore_sigpipe();
    }
    let args: Vec<OsString> = raw[from..].iter().map(|p| OsString::from_vec(arg(p).to_vec())).collect();
    match program.entry {
        Entry::Args(entry) => run(prog, args, entry),
        Entry::Title(entry) => run(prog, args, |args| {
            // SAFETY: argv[argc - 1] is a NUL-terminated string in this
            // process's own writable memory, which nothing else reads or
            // writes while we run (the views of its first arguments are gone); writing
            // within its length keeps it (and /proc/self/cmdline) well formed.
            let title = (!args.is_empty()).then(|| unsafe {
                let last = raw[raw.len() - 1];
                std::slice::from_raw_parts_mut(last.cast::<u8>(), libc::strlen(last))
            });
            entry(title)
        }),
    }
}

/// `daemontools-rs` called by its own name without a program: `--help`
/// (the usage and the list of programs), `--version`, `--list` (the names
/// alone, one a line, for scripts that make the links), or a bad call.
fn itself(programs: &[Program], option: Option<&[u8]>) -> ! {
    let usage = format!("{MULTICALL}: usage: {MULTICALL} program [ arg ... ]\n");
    let names = programs.iter().map(|p| p.prog.name);
    let text = match option {
        Some(b"--help") => {
            let list: String = names.map(|n| format!("  {n}\n")).collect();
            format!("{usage}Runs the program named, or the one whose name it is called by (a link to it):\n{list}See {MULTICALL}(7).\n")
        }
        Some(b"--version") => format!("{MULTICALL} {}\n", env!("CARGO_PKG_VERSION")),
        Some(b"--list") => names.map(|n| format!("{n}\n")).collect(),
        _ => {
            let _ = std::io::stderr().write_all(usage.as_bytes());
            exit(EXIT_USAGE)
        }
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    exit(0)
}

/// Runs a program: a lone `--help` or `--version` is answered on standard
/// output (exit 0); otherwise `run` gets `args`, the arguments after the
/// program's name, and the process exits with the code it returns, or
/// prints its failure and exits with that failure's code.
pub fn run(prog: &Prog, args: Vec<OsString>, run: impl FnOnce(Vec<OsString>) -> Result<i32, Failure>) -> ! {
    // Only a lone `--help` or `--version` is taken as such, so that
    // `supervise --help` (a service directory named so, run by svscan as
    // `./--help`) or `svc -u --help` is never mistaken for one.
    if let [lone] = &args[..] {
        if let Some(text) = prog.about(Some(lone.as_os_str())) {
            let _ = std::io::stdout().write_all(text.as_bytes());
            exit(0);
        }
    }
    match run(args) {
        Ok(code) => exit(code),
        Err(f) => fail(prog, &f),
    }
}

/// The arguments as bytes, as the chain-loaders pass them on.
pub fn bytes(args: Vec<OsString>) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    args.into_iter().map(OsString::into_vec).collect()
}

/// [`bytes`], at least `least` of them (a chain-loader's account or
/// directory, then its child): fewer is the usage failure.
pub fn at_least(args: Vec<OsString>, least: usize) -> Result<Vec<Vec<u8>>, Failure> {
    if args.len() < least {
        return Err(Failure::usage());
    }
    Ok(bytes(args))
}

/// Prints `f` and exits with its code.
pub fn fail(prog: &Prog, f: &Failure) -> ! {
    let _ = std::io::stderr().write_all(&f.render(prog));
    exit(f.code())
}

/// Prints `f` and goes on (svc's warning for one directory among several).
pub fn report(prog: &Prog, f: &Failure) {
    let _ = std::io::stderr().write_all(&f.render(prog));
}

/// Prints one line `PROG: LEVEL: PARTS` on standard error.
pub fn say(prog: &Prog, level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&prog.line(level, parts));
}

/// Prints `PROG: warning: PARTS`.
pub fn warn(prog: &Prog, parts: &[&[u8]]) {
    say(prog, Level::Warning, parts)
}

/// Prints `PROG: warning: PARTS: REASON`, daemontools' reason for `e`.
pub fn warn_sys(prog: &Prog, parts: &[&[u8]], e: crate::Errno) {
    warn(prog, &[&parts.concat()[..], b": ", crate::msg::errstr(e).as_bytes()])
}

/// The program's warnings as a callback, for library code that has some
/// to report and goes on (`supervise::files`).
pub fn warnings(prog: &'static Prog) -> impl FnMut(&[&[u8]]) + Copy {
    move |parts| warn(prog, parts)
}

/// Flushes standard output and exits with `code`.
pub fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["svc", "svok", "svscan"];

    fn call<'a>(argv: &[&'a str]) -> Called<'a> {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        called(&argv, |name| NAMES.iter().position(|n| n.as_bytes() == name))
    }

    #[test]
    fn the_name_called_picks_the_program_and_its_own_name_the_first_argument() {
        assert_eq!(call(&["svok", "x"]), Called::Program { index: 1, from: 1 });
        assert_eq!(call(&["/usr/bin/svscan"]), Called::Program { index: 2, from: 1 });
        assert_eq!(call(&["./svc", "-u", "x"]), Called::Program { index: 0, from: 1 });
        assert_eq!(call(&["daemontools-rs", "svc", "-u"]), Called::Program { index: 0, from: 2 });
        assert_eq!(call(&["/x/y/daemontools-rs", "svok"]), Called::Program { index: 1, from: 2 });
        // A program's name takes no option of the executable's.
        assert_eq!(call(&["svc", "--list"]), Called::Program { index: 0, from: 1 });
    }

    #[test]
    fn its_own_name_alone_or_with_an_option_is_the_executable_itself() {
        assert_eq!(call(&["daemontools-rs"]), Called::Itself(None));
        assert_eq!(call(&["daemontools-rs", "--help", "svc"]), Called::Itself(Some(&b"--help"[..])));
        assert_eq!(call(&["daemontools-rs", "-x"]), Called::Itself(Some(&b"-x"[..])));
    }

    #[test]
    fn a_name_that_is_no_program_is_unknown() {
        let unknown = |called: &'static str, asked: &'static str| Called::Unknown {
            called: called.as_bytes(),
            asked: asked.as_bytes(),
        };
        assert_eq!(call(&["/bin/svcx", "-u"]), unknown("svcx", "svcx"));
        assert_eq!(call(&["daemontools-rs", "svcx"]), unknown("daemontools-rs", "svcx"));
        assert_eq!(call(&["daemontools-rs", "daemontools-rs"]), unknown("daemontools-rs", "daemontools-rs"));
        assert_eq!(call(&["svc/"]), unknown("", ""));
        assert_eq!(call(&[]), unknown("", ""));
    }
}
