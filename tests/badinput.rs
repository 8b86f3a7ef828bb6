//! Bad input to supervise and its clients: garbage and floods on the control
//! FIFO, random status files, a `run` that is a directory, a dangling
//! symlink or exits 127, a service directory that is a file or is removed
//! while supervised. Each gets daemontools' one-line message and exit code
//! (checked against the real programs where they are deterministic), and
//! nothing else is disturbed. (Bad input to multilog and the chain-loaders
//! is in tests/multilog.rs and tests/chainload.rs.)

use crate::common::*;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, OpenOptionsExt};
use std::time::{Duration, Instant};

#[test]
fn a_megabyte_of_garbage_on_control_is_drained_and_ignored() {
    let sb = Supervised::new("exec sleep 1000");
    let (sup, pid) = (sb.supervise, sb.pid);
    // No control letter among these bytes: all of it must be read and dropped.
    let junk = b"\0\xff Z?!\n0345678QWERTYZ#%";
    for letter in daemontools::control::Letter::ALL {
        assert!(!junk.contains(&letter.byte()), "{}", letter.byte() as char);
    }
    let garbage: Vec<u8> = (0..1 << 20).map(|i| junk[i % junk.len()]).collect();
    let mut control =
        fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(sb.join("s/supervise/control")).unwrap();
    // Written without blocking, so that a supervise that stops reading fails
    // the test instead of hanging it.
    let mut left = &garbage[..];
    wait_for(10_000, "supervise to drain a megabyte from control", || {
        match control.write(left) {
            Ok(n) => left = &left[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        left.is_empty()
    });
    assert_eq!(sb.stderr_of("supervise-s"), "", "garbage is ignored silently, as daemontools does");
    assert_eq!(sb.status("s").pid, pid, "the service was not touched");
    // And control still works.
    sb.run(bin("svc"), &["-t", "s"]);
    sb.wait_up("s", pid);
    assert!(alive(sup));
}

/// A directory that looks supervised: FIFOs held open for reading, so that
/// svstat reads the status file we write.
struct Fake {
    _ok: fs::File,
}

fn fake(sb: &Sandbox, name: &str) -> Fake {
    let sup = sb.join(name).join("supervise");
    fs::create_dir_all(&sup).unwrap();
    mkfifo(&sup.join("ok"));
    Fake { _ok: fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(sup.join("ok")).unwrap() }
}

#[test]
fn random_status_files_read_as_daemontools_reads_them() {
    let sb = Sandbox::new();
    // A fixed seed: the same files every run (xorshift).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut names = Vec::new();
    let mut keep = Vec::new();
    for i in 0..60 {
        let name = format!("s{i}");
        keep.push(fake(&sb, &name));
        let len = match i % 6 {
            0 => (next() % 18) as usize,      // truncated
            1 => 18 + (next() % 64) as usize, // oversized
            _ => 18,
        };
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if i % 3 == 2 && len >= 18 {
            // A plausible stamp (an hour ago) with random flags and pid.
            let now = daemontools::tai64::now();
            bytes[..8].copy_from_slice(&(now.0 .0 - 3600).to_be_bytes());
        }
        fs::write(sb.join(&name).join("supervise/status"), &bytes).unwrap();
        names.push(name);
    }
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    // The seconds may tick between the two runs: try again then.
    for attempt in 0..3 {
        let ours = sb.run(bin("svstat"), &args);
        let theirs = sb.run(real("svstat"), &args);
        let show = |o: &std::process::Output| (o.status.code(), stdout(o), stderr(o));
        if show(&ours) == show(&theirs) {
            let out = stdout(&ours);
            assert_eq!(out.lines().count(), 60, "{out}");
            assert_eq!(out.matches("bad format").count(), 10, "every truncated file: {out}");
            return;
        }
        assert!(
            attempt < 2,
            "svstat on random status files, ours then daemontools':\n{:?}\n{:?}",
            show(&ours),
            show(&theirs)
        );
    }
}

/// The distinct lines `program` (ours or daemontools' supervise) writes on
/// stderr for the service `name` within `ms`.
fn warnings(sb: &Sandbox, program: &std::path::Path, name: &str, ms: u64) -> Vec<String> {
    let mut cmd = sb.command(program);
    cmd.arg(name);
    let pid = sb.spawn(cmd, &format!("{name}-{}", program.parent().unwrap().file_name().unwrap().to_string_lossy()));
    let log = format!("{name}-{}", program.parent().unwrap().file_name().unwrap().to_string_lossy());
    wait_for(ms, "two attempts", || sb.stderr_of(&log).lines().count() >= 2);
    signal(pid, libc::SIGKILL);
    let mut lines: Vec<String> = sb.stderr_of(&log).lines().map(str::to_string).collect();
    lines.dedup();
    lines
}

#[test]
fn a_run_that_cannot_be_run_warns_each_second() {
    let sb = Sandbox::new();
    for (name, expected) in [
        // execve says EACCES for a directory.
        ("dir", "supervise: fatal: unable to start NAME/run: access denied"),
        ("dangling", "supervise: fatal: unable to start NAME/run: file does not exist"),
    ] {
        for (tag, program) in [("ours", bin("supervise")), ("theirs", real("supervise"))] {
            let svc = format!("{name}-{tag}");
            fs::create_dir_all(sb.join(&svc)).unwrap();
            match name {
                "dir" => fs::create_dir(sb.join(&svc).join("run")).unwrap(),
                _ => symlink("/nonexistent/run", sb.join(&svc).join("run")).unwrap(),
            }
            let t0 = Instant::now();
            let lines = warnings(&sb, &program, &svc, 5000);
            let log = format!("{svc}-{}", program.parent().unwrap().file_name().unwrap().to_string_lossy());
            let count = sb.stderr_of(&log).lines().count() as f64;
            assert!(count <= t0.elapsed().as_secs_f64() + 1.0, "{tag}: {count} warnings: once a second");
            let expected = expected.replace("NAME", &svc);
            // "fatal", as daemontools' says: it is the child that fails.
            assert_eq!(lines, vec![expected.clone()], "{tag}");
        }
    }
    // exit 127 (a command not found inside run) is a crash like any other:
    // restarted each second, with no message from supervise.
    sb.service("e127", "echo x >> ../starts127\nexit 127");
    sb.supervise(&bin("supervise"), "e127");
    wait_for(5000, "two starts", || fs::read_to_string(sb.join("starts127")).is_ok_and(|t| t.lines().count() >= 2));
    assert_eq!(sb.stderr_of("supervise-e127"), "");
}

#[test]
fn a_service_directory_that_is_a_file_or_goes_away() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    for program in [bin("supervise"), real("supervise")] {
        sb.run(&program, &["file"]).code(111).stderr_is("supervise: fatal: unable to chdir to file: not a directory\n");
    }
    // Removed while supervised: supervise keeps the service it has, warns
    // once per attempt when it can write no status and start no run, does
    // not spin, and still goes on TERM.
    let Service { supervise: sup, pid, .. } = sb.supervised("gone", "exec sleep 1000");
    fs::remove_dir_all(sb.join("gone")).unwrap();
    signal(pid, libc::SIGKILL);
    wait_for(5000, "a failed restart", || sb.stderr_of("supervise-gone").contains("unable to start gone/run"));
    let ticks = |p: u32| {
        let stat = fs::read_to_string(format!("/proc/{p}/stat")).unwrap();
        let f: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    let before = ticks(sup);
    std::thread::sleep(Duration::from_millis(2000));
    assert!(ticks(sup) - before < 10, "supervise spins without its directory");
    for line in sb.stderr_of("supervise-gone").lines() {
        // supervise's own warnings, and its child's (daemontools' words) that run is gone.
        let child = line == "supervise: fatal: unable to start gone/run: file does not exist";
        assert!(line.starts_with("supervise: warning: unable to ") || child, "{line}");
    }
    signal(sup, libc::SIGTERM);
    sb.wait_exit(sup, 5000);
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: 0 kB").to_string();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_setting_that_is_a_fifo_or_a_device_is_warned_about_and_its_default_used() {
    let sb = Supervised::new("exec sleep 1000");
    let (sup, pid) = (sb.supervise, sb.pid);
    // A FIFO as down-signal: supervise used to block in open for good.
    mkfifo(&sb.join("s/down-signal"));
    // /dev/zero as timeout-kill: supervise used to read it without end.
    symlink("/dev/zero", sb.join("s/timeout-kill")).unwrap();
    // A descriptor no process can have.
    fs::write(sb.join("s/notification-fd"), "99999999\n").unwrap();
    let before = rss_kib(sup);
    let o = sb.run(bin("svc"), &["-d", "-wd", "-T", "5000", "s"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()), "down with the default TERM");
    assert!(!alive(pid));
    assert!(rss_kib(sup) < before + 4096, "supervise grew from {before} to {} KiB", rss_kib(sup));
    let err = sb.stderr_of("supervise-s");
    for line in [
        "supervise: warning: unable to read s/down-signal: not a regular file: default used",
        "supervise: warning: unable to read s/timeout-kill: not a regular file: default used",
        "supervise: warning: invalid s/notification-fd: default used",
    ] {
        assert!(err.lines().any(|l| l == line), "{line:?} not in:\n{err}");
    }
    // Still answering: up again, the out-of-range notification-fd ignored.
    sb.run(bin("svc"), &["-u", "-wU", "-T", "5000", "s"]).code(0).stderr_is("");
    assert!(!sb.stderr_of("supervise-s").contains("file descriptor not open"));
}

#[test]
fn a_fifo_as_info_or_status_hangs_neither_svstat_nor_svc() {
    let sb = Supervised::named("good", "exec sleep 1000");
    // A directory whose supervise/ holds FIFOs where files should be.
    fs::create_dir_all(sb.join("odd/supervise")).unwrap();
    mkfifo(&sb.join("odd/supervise/info"));
    mkfifo(&sb.join("odd/supervise/status"));
    mkfifo(&sb.join("odd/supervise/ok"));
    let _reader = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(sb.join("odd/supervise/ok"));
    let t = Instant::now();
    for args in [&["good", "odd"][..], &["-j", "good", "odd"]] {
        let o = sb.run(bin("svstat"), args);
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 2, "{args:?}: {out}");
        assert!(out.lines().next().unwrap().contains("up"), "{out}");
    }
    sb.run(bin("svc"), &["-wu", "-T", "2000", "good"]).code(0);
    // Also our info, made a FIFO under a live supervise: svc -w does not block.
    fs::remove_file(sb.join("good/supervise/info")).unwrap();
    mkfifo(&sb.join("good/supervise/info"));
    sb.run(bin("svc"), &["-wd", "-T", "1000", "good"]).code(99);
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
}
