//! Talking to one svscan: svscanctl tells the svscan of the directory it
//! names, and no other, to scan (`-a`), to take down what is gone (`-h`) or
//! to shut down (`-t`), through `DIR/.svscan/control`; and `svc -w` on an
//! entry just linked in waits for svscan to start its supervise.

use crate::common::*;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::{Duration, Instant};

/// svscan on the directory `dir` of the sandbox (made if missing), its
/// output in `log`; returns its pid once svscanctl reaches it.
fn svscan(sb: &Sandbox, dir: &str, log: &str) -> u32 {
    fs::create_dir_all(sb.join(dir)).unwrap();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg(dir);
    let pid = sb.spawn(cmd, log);
    wait_for(5000, "svscanctl to reach svscan", || sb.run(bin("svscanctl"), &[dir]).status.success());
    pid
}

/// A service in `store/` linked into `dir`, running `sleep`; returns its pid once up.
fn linked(sb: &Sandbox, name: &str, dir: &str) -> u32 {
    sb.service(&format!("store/{name}"), "exec sleep 1000");
    symlink(sb.join("store").join(name), sb.join(dir).join(name)).unwrap();
    sb.wait_up(&format!("store/{name}"), 0)
}

fn mode(path: std::path::PathBuf) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode()
}

#[test]
fn a_scans_now_and_the_fifo_is_made_anew_and_never_supervised() {
    let sb = Sandbox::new();
    sb.service("services/first", "exec sleep 1000");
    // Something else where the FIFO goes: made anew, and the directory 0700.
    fs::create_dir_all(sb.join("services/.svscan")).unwrap();
    fs::set_permissions(sb.join("services/.svscan"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(sb.join("services/.svscan/control"), "left here\n").unwrap();
    let started = Instant::now();
    let pid = svscan(&sb, "services", "svscan");
    sb.wait_up("services/first", 0);
    assert_eq!(mode(sb.join("services/.svscan")), 0o40700);
    assert_eq!(mode(sb.join("services/.svscan/control")), 0o10600, "a FIFO, 0600");

    // Made in place, a directory waits for the 5-second scan (inotify
    // leaves it: it may still be filling); -a scans now.
    sb.service("services/made", "exec sleep 1000");
    sb.run(bin("svscanctl"), &["-a", "services"]).code(0).stdout_is("").stderr_is("");
    sb.wait_up("services/made", 0);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(4500), "up {took:?} after svscan started: the scan, not -a");
    assert_eq!(children(pid).len(), 2, "one supervise per service, none for .svscan");
    assert!(!sb.join("services/.svscan/supervise").exists());
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn h_and_t_reach_the_svscan_of_that_directory_alone() {
    let sb = Sandbox::new();
    let one = svscan(&sb, "one", "svscan-one");
    let two = svscan(&sb, "two", "svscan-two");
    let a = linked(&sb, "a", "one");
    let b = linked(&sb, "b", "two");
    fs::remove_file(sb.join("one/a")).unwrap();
    fs::remove_file(sb.join("two/b")).unwrap();

    // -h to two: its removed entry goes down; one's keeps running, as
    // daemontools keeps a removed entry until told.
    sb.run(bin("svscanctl"), &["-h", "two"]).code(0).stderr_is("");
    wait_for(5000, "b and its supervise to be gone", || !alive(b) && !sb.is_supervised("store/b"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(alive(a) && sb.is_supervised("store/a"), "-h to two reached one");
    assert!(alive(one) && alive(two));

    // -t to one: it shuts down and exits 0; two runs on.
    sb.run(bin("svscanctl"), &["-t", "one"]).code(0).stderr_is("");
    assert_eq!(sb.wait_exit(one, 10_000).code(), Some(0));
    wait_for(2000, "a to be gone", || !alive(a));
    assert!(alive(two));
    let c = linked(&sb, "c", "two");

    // One gone: said, and the others still told; 100 for no svscan there.
    sb.run(bin("svscanctl"), &["-a", "one", "two"])
        .code(100)
        .stderr_is("svscanctl: warning: unable to control one: svscan not running\n");
    sb.run(bin("svscanctl"), &["-t", "two"]).code(0);
    assert_eq!(sb.wait_exit(two, 10_000).code(), Some(0));
    wait_for(2000, "c to be gone", || !alive(c));
    for log in ["svscan-one", "svscan-two"] {
        assert_eq!(sb.stderr_of(log), "", "{log}");
    }
}

#[test]
fn t_takes_the_service_down_then_its_logger_with_every_line() {
    let sb = Sandbox::new();
    let service = "exec 2>&1\ntrap 'echo last; exit 0' TERM\necho first\nwhile :; do sleep 0.05; done";
    sb.service("services/w", service);
    fs::create_dir(sb.join("services/w/log")).unwrap();
    write_script(&sb.join("services/w/log/run"), "exec cat >> ../../../logged");
    let pid = svscan(&sb, "services", "svscan");
    let procs = [sb.wait_up("services/w", 0), sb.wait_up("services/w/log", 0)];
    wait_for(5000, "the first line logged", || fs::read_to_string(sb.join("logged")).is_ok_and(|l| l == "first\n"));
    let sups = children(pid);
    assert_eq!(sups.len(), 2);
    sb.run(bin("svscanctl"), &["-t", "services"]).code(0).stderr_is("");
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
    for p in procs.into_iter().chain(sups) {
        wait_for(2000, "every process to be gone", || !alive(p));
    }
    assert_eq!(fs::read_to_string(sb.join("logged")).unwrap(), "first\nlast\n", "the logger outlived the service");
    // It is gone: nothing reads the FIFO any more.
    sb.run(bin("svscanctl"), &["-h", "services"])
        .code(100)
        .stderr_is("svscanctl: warning: unable to control services: svscan not running\n");
}

#[test]
fn no_svscan_and_bad_calls_are_said_with_their_codes() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("plain")).unwrap();
    fs::write(sb.join("file"), "").unwrap();
    for (dir, why) in
        [("missing", "file does not exist"), ("plain", "file does not exist"), ("file", "not a directory")]
    {
        sb.run(bin("svscanctl"), &["-a", dir])
            .code(111)
            .stderr_is(format!("svscanctl: warning: unable to control {dir}: {why}\n"));
    }
    // A FIFO nobody reads: a svscan that is gone (100); anything else there is not written (111).
    fs::create_dir_all(sb.join("gone/.svscan")).unwrap();
    mkfifo(&sb.join("gone/.svscan/control"));
    fs::create_dir_all(sb.join("odd/.svscan")).unwrap();
    fs::write(sb.join("odd/.svscan/control"), "").unwrap();
    sb.run(bin("svscanctl"), &["gone", "odd"]).code(111).stderr_is(
        "svscanctl: warning: unable to control gone: svscan not running\n\
         svscanctl: warning: unable to control odd: .svscan/control is not a FIFO\n",
    );
    assert_eq!(fs::read(sb.join("odd/.svscan/control")).unwrap(), b"");
    sb.run(bin("svscanctl"), &["-ah", "gone"]).code(100);
    let usage = "svscanctl: usage: svscanctl [ -aht ] dir ...\n";
    sb.run(bin("svscanctl"), &["-x", "gone"]).code(100).stderr_is(format!("svscanctl: illegal option -- x\n{usage}"));
    sb.run(bin("svscanctl"), &["-a"]).code(100).stderr_is(usage);
    sb.run(bin("svscanctl"), &[]).code(100).stderr_is(usage);
}

#[test]
fn where_the_fifo_cannot_be_made_svscan_says_so_once_and_runs() {
    let Some(account) = Account::if_root("c", "where_the_fifo_cannot_be_made") else { return };
    let sb = Sandbox::new();
    let svscan = sb.public_bin("svscan");
    // root's directory, 0755: the account may scan it, not write in it.
    fs::create_dir(sb.join("services")).unwrap();
    fs::set_permissions(sb.join("services"), fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = sb.command(bin("setuidgid"));
    cmd.args([&account.0, svscan.to_str().unwrap(), "services"]);
    let pid = sb.spawn(cmd, "svscan");
    let warning = "svscan: warning: unable to make .svscan/control: access denied\n";
    wait_for(5000, "the warning", || sb.stderr_of("svscan") == warning);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(alive(pid), "svscan runs on: {}", sb.stderr_of("svscan"));
    assert_eq!(sb.stderr_of("svscan"), warning, "said once");
    sb.run(bin("svscanctl"), &["-a", "services"])
        .code(111)
        .stderr_is("svscanctl: warning: unable to control services: file does not exist\n");
}

#[test]
fn svc_w_on_a_just_linked_entry_waits_for_svscan_to_start_its_supervise() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    sb.service("store/web", "exec sleep 1000");
    // Normally down: only the -u that svc keeps for its supervise starts it.
    sb.service("store/lazy", "exec sleep 1000");
    fs::write(sb.join("store/lazy/down"), "").unwrap();
    for name in ["web", "lazy"] {
        symlink(sb.join("store").join(name), sb.join("services").join(name)).unwrap();
    }
    let svc = |args: &[&str], log: &str| {
        let mut cmd = sb.command(bin("svc"));
        cmd.args(args);
        sb.spawn(cmd, log)
    };
    let web = svc(&["-wu", "-T", "20000", "services/web"], "svc-web");
    let lazy = svc(&["-u", "-wU", "-T", "20000", "services/lazy"], "svc-lazy");
    std::thread::sleep(Duration::from_millis(500));
    assert!(alive(web) && alive(lazy), "svc -w gave up before svscan came: {}", sb.stderr_of("svc-web"));
    let t = Instant::now();
    svscan(&sb, "services", "svscan");
    for (pid, log) in [(web, "svc-web"), (lazy, "svc-lazy")] {
        assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0), "{log}: {}", sb.stderr_of(log));
        assert_eq!(sb.stderr_of(log), "", "{log}");
    }
    eprintln!("svc -w returned {:?} after svscan was started", t.elapsed());
    for name in ["store/web", "store/lazy"] {
        assert!(sb.status(name).pid != 0, "{name} is up");
    }
    assert!(fs::read_dir(sb.join("store/lazy/supervise/event")).unwrap().next().is_none(), "a FIFO left behind");

    // No svscan: -T bounds the wait (99); without -T, 10 s (111).
    fs::create_dir(sb.join("alone")).unwrap();
    sb.service("alone/made", "exec sleep 1000");
    let t = Instant::now();
    sb.run(bin("svc"), &["-u", "-wu", "-T", "500", "alone/made"])
        .code(99)
        .stderr_is("svc: fatal: timed out waiting for alone/made\n");
    assert!(t.elapsed() >= Duration::from_millis(500), "{:?}", t.elapsed());
    let t = Instant::now();
    let never = svc(&["-wu", "alone/made"], "svc-never");
    let status = sb.wait_exit(never, 20_000);
    let took = t.elapsed();
    assert_eq!(status.code(), Some(111));
    assert_eq!(sb.stderr_of("svc-never"), "svc: fatal: unable to wait for alone/made: supervise not running\n");
    assert!(took >= Duration::from_secs(10) && took < Duration::from_secs(13), "gave up after {took:?}");
    assert!(!sb.join("alone/made/supervise").exists(), "svc made supervise/");
}
