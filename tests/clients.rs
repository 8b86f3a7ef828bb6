//! svc, svstat and svok against a stand-in supervise (the test holds the
//! FIFOs itself and writes the status bytes it wants), compared byte for byte
//! with the real daemontools programs on the very same directories.

use crate::common::*;
use daemontools::status::{Status, Want};
use daemontools::tai64::{self, Tai64, Tai64N};
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Stdio;

/// Plays supervise: makes `supervise/ok` and `supervise/control` and holds
/// them open for reading. Dropping it is supervise exiting.
struct FakeSupervise {
    _ok: File,
    control: File,
}

fn fake_supervise(dir: &Path) -> FakeSupervise {
    let sup = dir.join("supervise");
    fs::create_dir_all(&sup).unwrap();
    for fifo in ["ok", "control"] {
        mkfifo(&sup.join(fifo));
    }
    let open = |name| OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(sup.join(name)).unwrap();
    FakeSupervise { _ok: open("ok"), control: open("control") }
}

fn write_status(dir: &Path, s: &Status) {
    fs::write(dir.join("supervise/status"), s.pack()).unwrap();
}

/// Runs ours and the real one on the same arguments: same stdout, stderr and exit code.
fn same_as_real(sb: &Sandbox, prog: &str, args: &[&str]) -> Run {
    // The seconds field may tick between the two runs: try again then.
    for _ in 0..3 {
        let ours = sb.run(bin(prog), args);
        let theirs = sb.run(real(prog), args);
        if (&ours.stdout, &ours.stderr, ours.status.code()) == (&theirs.stdout, &theirs.stderr, theirs.status.code()) {
            return ours;
        }
        if stdout(&ours) == stdout(&theirs) || !stdout(&ours).contains(" seconds") {
            assert_eq!(
                (stdout(&ours), stderr(&ours), ours.status.code()),
                (stdout(&theirs), stderr(&theirs), theirs.status.code()),
                "{prog} {args:?}: ours, then daemontools'"
            );
        }
    }
    panic!("{prog} {args:?}: output differs from daemontools'");
}

#[test]
fn svstat_prints_every_state_as_daemontools_does() {
    let sb = Sandbox::new();
    let dir = sb.join("s");
    let _sup = fake_supervise(&dir);
    let mut lines = Vec::new();
    for pid in [0u32, 4321] {
        for paused in [false, true] {
            for want in [Want::Up, Want::Down, Want::Nothing] {
                for down_file in [false, true] {
                    if down_file {
                        fs::write(dir.join("down"), "").unwrap();
                    } else {
                        let _ = fs::remove_file(dir.join("down"));
                    }
                    // svstat counts whole seconds: a second that turns between the
                    // write and the read makes 76; that read is taken again (twice at most).
                    let mut tries = 0;
                    let line = loop {
                        tries += 1;
                        let stamp =
                            tai64::from_system_time(std::time::SystemTime::now() - std::time::Duration::from_secs(75));
                        write_status(&dir, &Status { stamp, pid, paused, want });
                        let line = stdout(&same_as_real(&sb, "svstat", &["s"]));
                        if !line.contains(" 76 seconds") || tries == 3 {
                            break line;
                        }
                    };
                    lines.push(line);
                }
            }
        }
    }
    // Every phrase of daemontools' svstat came up at least once.
    let all = lines.concat();
    for phrase in [
        "s: up (pid 4321) 75 seconds\n",
        ", normally down",
        ", paused",
        ", want down",
        "s: down 75 seconds, normally up, want up\n",
        "s: down 75 seconds\n",
    ] {
        assert!(all.contains(phrase), "{phrase:?} never printed:\n{all}");
    }
    assert!(all.contains("s: up (pid 4321) 75 seconds, normally down, paused, want down\n"));
}

#[test]
fn svstat_errors_match_daemontools() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    fs::create_dir_all(sb.join("fresh")).unwrap();
    // ok exists but nobody holds it: supervise not running.
    let stale = sb.join("stale");
    drop(fake_supervise(&stale));
    write_status(&stale, &Status { stamp: tai64::now(), pid: 0, paused: false, want: Want::Up });
    // supervise runs, but the status is short, missing, long, or in the future.
    let short = sb.join("short");
    let _a = fake_supervise(&short);
    fs::write(short.join("supervise/status"), [0u8; 17]).unwrap();
    let missing = sb.join("missing");
    let _b = fake_supervise(&missing);
    let long = sb.join("long");
    let _c = fake_supervise(&long);
    let mut bytes = Status { stamp: tai64::now(), pid: 99, paused: false, want: Want::Up }.pack().to_vec();
    bytes.extend_from_slice(b"more than 18 bytes is fine");
    fs::write(long.join("supervise/status"), &bytes).unwrap();
    let future = sb.join("future");
    let _d = fake_supervise(&future);
    let later = Tai64N(Tai64(tai64::now().0 .0 + 1000), 0);
    write_status(&future, &Status { stamp: later, pid: 0, paused: false, want: Want::Down });

    let args = ["nope", "file", "fresh", "stale", "short", "missing", "long", "future"];
    // Under load seconds may pass between writing `long` and reading it.
    let out = stdout(&same_as_real(&sb, "svstat", &args));
    let out = (1..10).fold(out, |o, n| o.replace(&format!("(pid 99) {n} seconds"), "(pid 99) 0 seconds"));
    assert_eq!(
        out,
        "nope: unable to chdir: file does not exist\n\
         file: unable to chdir: not a directory\n\
         fresh: unable to open supervise/ok: file does not exist\n\
         stale: supervise not running\n\
         short: unable to read supervise/status: bad format\n\
         missing: unable to open supervise/status: file does not exist\n\
         long: up (pid 99) 0 seconds\n\
         future: down 0 seconds, normally up\n"
    );
    // No arguments: nothing, exit 0.
    same_as_real(&sb, "svstat", &[]).code(0).stdout_is("");
}

/// Runs `prog args` in the sandbox to its exit; with its output, how many
/// write(2) calls it made in all and how many bytes they wrote, read from
/// /proc/PID/io once it has exited and before it is reaped.
fn run_counting_writes(sb: &Sandbox, prog: &Path, args: &[&str]) -> (Run, u64, u64) {
    let child = sb.command(prog).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    wait_for(10_000, "the program to exit", || {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOWAIT | libc::WNOHANG;
        assert_eq!(unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) }, 0);
        let exited = unsafe { info.si_pid() };
        exited != 0
    });
    let io = fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let count = |name: &str| -> u64 {
        io.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .expect("a count in /proc/PID/io")
            .parse()
            .unwrap()
    };
    let (writes, bytes) = (count("syscw"), count("wchar"));
    (Run::new(format!("{} {args:?}", prog.display()), child.wait_with_output().unwrap()), writes, bytes)
}

#[test]
fn svc_sends_each_letter_once_in_one_write() {
    // Each letter once, in the order first given, in one write(2) per
    // directory: supervise reads them together, and no other writer's
    // letters come between them (a FIFO write of up to 4096 bytes is
    // atomic). Counted by the kernel for the process: every write(2) it
    // made (none to stdout or stderr when all goes well).
    let sb = Sandbox::new();
    let mut s = fake_supervise(&sb.join("s"));
    let mut t = fake_supervise(&sb.join("t"));
    let take = |sup: &mut FakeSupervise| {
        let mut got = Vec::new();
        let _ = sup.control.read_to_end(&mut got);
        got
    };
    for prog in [bin("svc"), real("svc")] {
        let (o, writes, bytes) = run_counting_writes(&sb, &prog, &["-uddxu", "-k", "s"]);
        o.code(0).stderr_is("").stdout_is("");
        assert_eq!(take(&mut s), b"udxk", "{}", prog.display());
        assert_eq!((writes, bytes), (1, 4), "{}: write(2) calls and bytes written", prog.display());
        let (o, writes, bytes) = run_counting_writes(&sb, &prog, &["-dx", "s", "t"]);
        o.code(0);
        assert_eq!((take(&mut s), take(&mut t)), (b"dx".to_vec(), b"dx".to_vec()), "{}", prog.display());
        assert_eq!((writes, bytes), (2, 4), "{}: one write(2) per directory", prog.display());
    }
    // Every letter svc knows, and ours beyond daemontools'.
    let (_, writes, _) = run_counting_writes(&sb, &bin("svc"), &["-udopchaitkxq12", "s"]);
    assert_eq!(take(&mut s), b"udopchaitkxq12");
    assert_eq!(writes, 1);
}

#[test]
fn svc_warnings_and_exit_codes_match_daemontools() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    fs::create_dir_all(sb.join("fresh")).unwrap();
    drop(fake_supervise(&sb.join("stale")));
    let _running = fake_supervise(&sb.join("running"));
    let o = same_as_real(&sb, "svc", &["-u", "nope", "file", "fresh", "stale", "running"]);
    o.code(0);
    assert_eq!(
        stderr(&o),
        "svc: warning: unable to chdir to nope: file does not exist\n\
         svc: warning: unable to chdir to file: not a directory\n\
         svc: warning: unable to control fresh: file does not exist\n\
         svc: warning: unable to control stale: supervise not running\n"
    );
    // An illegal option: daemontools' two lines, then one of ours.
    let (ours, theirs) = (sb.run(bin("svc"), &["-uz", "running"]), sb.run(real("svc"), &["-uz", "running"]));
    assert_eq!((ours.status.code(), theirs.status.code()), (Some(100), Some(100)));
    assert!(stderr(&theirs).starts_with("svc: illegal option -- z\nsvc options: u up, d down,"), "{}", stderr(&theirs));
    let extra = stderr(&ours).strip_prefix(&stderr(&theirs)).map(str::to_string);
    assert!(
        extra
            .as_ref()
            .is_some_and(|e| e.starts_with("svc options beyond daemontools: q quit,") && e.lines().count() == 1),
        "{}",
        stderr(&ours)
    );
    // No directory, or no letter: nothing to do, exit 0.
    same_as_real(&sb, "svc", &["-u"]).code(0);
    same_as_real(&sb, "svc", &["running"]).code(0);
}

#[test]
fn svok_codes_match_daemontools() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    fs::create_dir_all(sb.join("fresh")).unwrap();
    drop(fake_supervise(&sb.join("stale")));
    let _running = fake_supervise(&sb.join("running"));
    for (dir, code) in [("running", 0), ("stale", 100), ("fresh", 100), ("nope", 111), ("file", 111)] {
        same_as_real(&sb, "svok", &[dir]).code(code);
    }
    sb.run(bin("svok"), &["nope"]).stderr_is("svok: fatal: unable to chdir to nope: file does not exist\n");
    same_as_real(&sb, "svok", &[]).code(100).stderr_is("svok: usage: svok dir\n");
}
