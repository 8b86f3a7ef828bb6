//! Health checks (issue 21): `check` in a service directory makes
//! supervise run it while the service is up, restart a service that fails
//! `check-retries` checks in a row, and take readiness from the first
//! passing check; `svstat`, `svstat -j` and `svok -U` tell. The same hung
//! service under daemontools', runit's and s6's supervisors stays hung.

use crate::common::*;
use std::fs;
use std::os::unix::fs::{symlink, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Writes the settings files `files` (name, value) into `dir`.
fn settings(dir: &Path, files: &[(&str, &str)]) {
    for (name, value) in files {
        fs::write(dir.join(name), format!("{value}\n")).unwrap();
    }
}

/// Our service `s` running `run`, checked by `check` under `files`, up.
fn checked(run: &str, check: &str, files: &[(&str, &str)]) -> (Sandbox, u32, u32) {
    let sb = Sandbox::new();
    let dir = sb.service("s", run);
    write_script(&dir.join("check"), check);
    settings(&dir, files);
    let sup = sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    (sb, sup, pid)
}

/// The script of a hung service: it writes its pid to `pids` and sleeps,
/// and its check fails once the file `hung` exists (saying so).
const HUNG_RUN: &str = "echo $$ >> pids\nexec sleep 1000";
const HUNG_CHECK: &str = "if [ -e hung ]; then echo \"hung, pid $MAINPID\"; exit 1; fi";

/// The pids a service wrote to `pids`, one a start.
fn starts(dir: &Path) -> Vec<u32> {
    fs::read_to_string(dir.join("pids")).unwrap_or_default().lines().filter_map(|l| l.parse().ok()).collect()
}

#[test]
fn a_hung_service_is_restarted_within_interval_times_retries_plus_timeout_and_not_before() {
    let (interval, retries, timeout) = (300u64, 3u64, 200u64);
    let files = [("check-interval", "300"), ("check-retries", "3"), ("check-timeout", "200"), ("check-start", "50")];
    let (sb, _sup, pid) = checked(HUNG_RUN, HUNG_CHECK, &files);
    // Healthy first: ready at the first pass; up over a second, so that the
    // restart waits no spacing.
    sb.run(bin("svc"), &["-wU", "-T", "5000", "s"]).code(0);
    std::thread::sleep(Duration::from_millis(1000));
    let j = sb.svstat_json("s");
    assert_eq!((j["healthy"].as_bool(), j["check_failures"].as_u64()), (Some(true), Some(0)), "{j}");
    sb.run(bin("svok"), &["-U", "s"]).code(0).stderr_is("");

    fs::write(sb.join("s/hung"), "").unwrap();
    let hung = Instant::now();
    // Not before the retries' last check can have run.
    let earliest = Duration::from_millis((retries - 1) * interval - 50);
    let mut seen_unhealthy = false;
    while hung.elapsed() < earliest {
        assert_eq!(sb.status("s").pid, pid, "restarted after {:?}, before {earliest:?}", hung.elapsed());
        seen_unhealthy |= stdout(&sb.run(bin("svstat"), &["s"])).ends_with(", unhealthy\n");
        std::thread::sleep(Duration::from_millis(20));
    }
    let bound = retries * interval + timeout;
    let new = sb.wait_up_within("s", pid, bound + 400);
    let took = hung.elapsed();
    fs::remove_file(sb.join("s/hung")).unwrap();
    assert!(took <= Duration::from_millis(bound + 400), "restarted after {took:?}; bound {bound} ms");
    assert!(seen_unhealthy, "svstat said unhealthy while the checks failed");
    eprintln!("hung service restarted after {took:?} (interval {interval} x retries {retries} + timeout {timeout})");
    assert!(!alive(pid));
    assert_eq!(starts(&sb.join("s")), [pid, new]);
    // Stopped by its down signal, counted as a restart nobody asked for.
    let j = sb.svstat_json("s");
    assert_eq!((j["last_signal"].as_i64(), j["restarts"].as_u64()), (Some(libc::SIGTERM as i64), Some(1)), "{j}");
    // The check's output reached the service's stdout (here a file), prefixed.
    let out = fs::read_to_string(sb.join("supervise-s.out")).unwrap();
    assert!(out.contains(&format!("check: hung, pid {pid}\n")), "{out}");
    sb.run(bin("svc"), &["-wU", "-T", "5000", "s"]).code(0);
}

#[test]
fn a_check_that_hangs_is_killed_at_its_timeout_and_counted_with_what_it_forked() {
    // Ignores TERM and leaves a child that ignores it too.
    let check = "date +%s%N >> starts\ntrap '' TERM\n(trap '' TERM; exec sleep 1000) &\necho $! >> children\nwait";
    let files =
        [("check-interval", "500"), ("check-timeout", "200"), ("check-retries", "1000"), ("check-start", "100")];
    let (sb, _sup, pid) = checked("exec sleep 1000", check, &files);
    let mut failed_at = None;
    wait_for(3000, "a first failure", || {
        let failures = sb.svstat_json("s")["check_failures"].as_u64();
        failed_at = Some(std::time::SystemTime::now());
        failures == Some(1)
    });
    let started: u128 = fs::read_to_string(sb.join("s/starts")).unwrap().lines().next().unwrap().parse().unwrap();
    let failed = failed_at.unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let ran = Duration::from_nanos((failed - started) as u64);
    assert!(ran >= Duration::from_millis(190), "killed after {ran:?}, before its timeout of 200 ms");
    assert!(ran <= Duration::from_millis(700), "killed after {ran:?}: its timeout is 200 ms");
    wait_for(3000, "a second failure", || sb.svstat_json("s")["check_failures"].as_u64() == Some(2));
    let j = sb.svstat_json("s");
    assert_eq!((j["healthy"].as_bool(), j["pid"].as_u64()), (Some(false), Some(pid as u64)), "{j}");
    assert!(stdout(&sb.run(bin("svstat"), &["s"])).ends_with(", unhealthy\n"));
    sb.run(bin("svok"), &["-U", "s"]).code(100).stderr_is("svok: warning: s: unhealthy\n");
    // Each check's child went with its process group.
    let children: Vec<u32> =
        fs::read_to_string(sb.join("s/children")).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert!(children.len() >= 2);
    for child in &children[..2] {
        wait_for(2000, "the check's child to be killed", || !alive(*child));
    }
    // Never two at once: each start forked one child.
    let starts = fs::read_to_string(sb.join("s/starts")).unwrap().lines().count();
    assert!(starts - children.len() <= 1, "{starts} starts, {} children", children.len());
    assert_eq!(sb.status("s").pid, pid, "1000 retries: not restarted");
}

#[test]
fn readiness_waits_for_the_first_passing_check() {
    // Many retries: a service slow to be ready is not restarted meanwhile.
    let files = [("check-interval", "100"), ("check-start", "50"), ("check-retries", "1000")];
    let (sb, _sup, pid) = checked("exec sleep 1000", "[ -e ready ]", &files);
    sb.run(bin("svc"), &["-wU", "-T", "500", "s"]).code(99);
    let j = sb.svstat_json("s");
    assert_eq!((j["ready"].as_bool(), j["healthy"].as_bool()), (Some(false), Some(false)), "{j}");
    assert!(j["check_failures"].as_u64() >= Some(1), "{j}");
    sb.run(bin("svok"), &["-U", "s"]).code(100).stderr_is("svok: warning: s: unhealthy\n");
    let plain = stdout(&sb.run(bin("svstat"), &["s"]));
    assert!(plain.starts_with(&format!("s: up (pid {pid}) ")) && !plain.contains("ready"), "{plain}");
    assert!(plain.ends_with(", unhealthy\n"), "{plain}");
    fs::write(sb.join("s/ready"), "").unwrap();
    let t = Instant::now();
    sb.run(bin("svc"), &["-wU", "-T", "5000", "s"]).code(0);
    assert!(t.elapsed() < Duration::from_millis(1000), "{:?}", t.elapsed());
    let plain = stdout(&sb.run(bin("svstat"), &["s"]));
    assert!(plain.contains(", ready ") && !plain.contains("unhealthy"), "{plain}");
    sb.run(bin("svok"), &["-U", "s"]).code(0).stderr_is("");
    // A restart waits again for its own first pass (here at once).
    fs::remove_file(sb.join("s/ready")).unwrap();
    let o = sb.run(bin("svc"), &["-t", "-wR", "-T", "700", "s"]);
    o.code(99);
    let new = sb.status("s").pid;
    assert!(new != pid && new != 0);
    fs::write(sb.join("s/ready"), "").unwrap();
    sb.run(bin("svc"), &["-wU", "-T", "5000", "s"]).code(0);
}

#[test]
fn without_check_the_bytes_are_daemontools() {
    let sb = Supervised::new("exec sleep 1000");
    std::thread::sleep(Duration::from_millis(300));
    let info = fs::read_to_string(sb.join("s/supervise/info")).unwrap();
    assert!(!info.contains("check"), "{info}");
    assert_eq!(fs::read(sb.join("s/supervise/status")).unwrap().len(), 18);
    let ours = stdout(&sb.run(bin("svstat"), &["s"]));
    let theirs = stdout(&sb.run(real("svstat"), &["s"]));
    assert_eq!(ours.split(')').next(), theirs.split(')').next());
    assert_eq!(ours, format!("s: up (pid {}) {}", sb.pid, ours.split(") ").nth(1).unwrap()));
    assert!(ours.ends_with(" seconds\n"), "{ours}");
    let j = sb.svstat_json("s");
    assert!(j["healthy"].is_null() && j["check_failures"].is_null() && j["last_check_seconds"].is_null(), "{j}");
    assert_eq!(j["ready"], serde_json::Value::Null);
    sb.run(bin("svok"), &["-U", "s"]).code(0).stderr_is("");
    assert_eq!(sb.stderr_of("supervise-s"), "", "nothing said");
    assert_eq!(fs::read_to_string(sb.join("supervise-s.out")).unwrap(), "");
}

/// The hung service started under `program` (a supervisor taking the
/// service directory as its one argument), once it has started; then the
/// starts `watch` lets it make.
fn starts_while_hung(program: &Path, watch: impl FnOnce(&Path)) -> Vec<u32> {
    let sb = Sandbox::new();
    let dir = sb.service("s", HUNG_RUN);
    write_script(&dir.join("check"), HUNG_CHECK);
    settings(&dir, &[("check-interval", "200"), ("check-retries", "2"), ("check-start", "100")]);
    fs::write(dir.join("hung"), "").unwrap();
    let mut cmd = sb.command(program);
    cmd.arg("s");
    sb.spawn(cmd, "supervisor");
    wait_for(5000, "the service's first start", || !starts(&dir).is_empty());
    watch(&dir);
    starts(&dir)
}

#[test]
fn the_same_hung_service_stays_hung_under_daemontools_runit_and_s6_and_not_under_ours() {
    // The checks would find it hung within 100 + 200 x 2 ms; the peers are
    // watched 1.5 s (that they do not restart it is shown only by time).
    let peers = [real("supervise"), "runsv".into(), "s6-supervise".into()];
    for peer in &peers {
        let pids = starts_while_hung(peer, |_| std::thread::sleep(Duration::from_millis(1500)));
        assert_eq!(pids.len(), 1, "{} restarted the hung service: {pids:?}", peer.display());
    }
    let ours = starts_while_hung(&bin("supervise"), |dir| {
        wait_for(5000, "ours to restart the hung service", || starts(dir).len() >= 2)
    });
    assert!(ours.len() >= 2, "ours restarted it: {ours:?}");
}

#[test]
fn the_checks_output_is_prefixed_and_a_flood_costs_supervise_nothing() {
    let check = "echo \"pid $MAINPID\"; echo oops >&2; printf 'no newline'";
    let files = [("check-interval", "200"), ("check-start", "50")];
    let (sb, sup, pid) = checked("exec sleep 1000", check, &files);
    wait_for(3000, "the check's output", || {
        fs::read_to_string(sb.join("supervise-s.out")).unwrap_or_default().contains("check: no newline\n")
    });
    let out = fs::read_to_string(sb.join("supervise-s.out")).unwrap();
    assert!(out.starts_with(&format!("check: pid {pid}\ncheck: oops\ncheck: no newline\n")), "{out}");
    // A check that floods: it fills its pipe and waits, and is killed at its
    // timeout; supervise reads no more than a few KiB of it.
    write_script(&sb.join("s/check"), "exec yes flood");
    settings(&sb.join("s"), &[("check-timeout", "150"), ("check-retries", "1000")]);
    sb.run(bin("svc"), &["-u", "s"]).code(0);
    let cpu = |pid: u32| {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let f: Vec<u64> = stat.rsplit(')').next().unwrap().split_whitespace().filter_map(|w| w.parse().ok()).collect();
        f[10] + f[11]
    };
    let before = cpu(sup);
    wait_for(5000, "three floods killed", || sb.svstat_json("s")["check_failures"].as_u64() >= Some(3));
    let used = cpu(sup) - before;
    assert!(used <= 10, "supervise used {used} ticks through three floods");
    let out = fs::read_to_string(sb.join("supervise-s.out")).unwrap();
    assert!(out.contains("check: flood\n") && out.contains("check: (output past 4096 bytes cut)\n"));
    assert!(out.len() < 64 * 1024, "{} bytes passed on", out.len());
    assert!(sb.stderr_of("supervise-s").is_empty(), "{}", sb.stderr_of("supervise-s"));
    // Still answering at once.
    let t = Instant::now();
    sb.run(bin("svc"), &["-p", "-wu", "-T", "2000", "s"]).code(0);
    sb.run(bin("svc"), &["-c", "s"]).code(0);
    assert!(t.elapsed() < Duration::from_millis(1000));
}

#[test]
fn a_long_output_is_passed_on_from_its_start_and_cut() {
    // 13,893 bytes, every line different: what is passed on is the first
    // 4096 bytes, not some later part the rest was read away into.
    let (sb, _, _) = checked("exec sleep 1000", "seq 1 3000", &[("check-interval", "200"), ("check-start", "50")]);
    let cut = "check: (output past 4096 bytes cut)\n";
    wait_for(3000, "the check's output", || {
        fs::read_to_string(sb.join("supervise-s.out")).unwrap_or_default().contains(cut)
    });
    let out = fs::read_to_string(sb.join("supervise-s.out")).unwrap();
    let first = &out[..out.find(cut).unwrap()];
    let lines: Vec<&str> = first.lines().collect();
    // 4096 bytes of `seq`: 1 to 1040 whole (4093 bytes), and "104" of the next.
    assert_eq!(lines.len(), 1041, "{first}");
    for (i, line) in lines[..1040].iter().enumerate() {
        assert_eq!(*line, format!("check: {}", i + 1));
    }
    assert_eq!(lines[1040], "check: 104");
}

#[test]
fn a_log_that_does_not_read_never_blocks_supervise() {
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec yes service");
    write_script(&dir.join("check"), "echo ok");
    settings(&dir, &[("check-interval", "100"), ("check-start", "50")]);
    // stdout a pipe nobody reads: the service fills it and waits.
    let fifo = sb.join("log");
    mkfifo(&fifo);
    let _reader = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo).unwrap();
    let mut cmd = sb.command(bin("supervise"));
    cmd.arg("s").stdout(fs::OpenOptions::new().write(true).open(&fifo).unwrap());
    cmd.stderr(fs::File::create(sb.join("supervise.err")).unwrap()).process_group(0);
    let sup = sb.adopt(spawn_retrying(&mut cmd));
    let pid = sb.wait_up("s", 0);
    wait_for(5000, "the dropped lines said", || {
        fs::read_to_string(sb.join("supervise.err"))
            .unwrap_or_default()
            .contains("supervise: warning: s/check: output dropped: its log is not reading\n")
    });
    // supervise still acts at once.
    let t = Instant::now();
    sb.run(bin("svc"), &["-t", "-wr", "-T", "3000", "s"]).code(0);
    assert!(t.elapsed() < Duration::from_millis(2000));
    assert_ne!(sb.status("s").pid, pid);
    assert!(sb.svstat_json("s")["healthy"].is_boolean());
    let said = fs::read_to_string(sb.join("supervise.err")).unwrap();
    assert_eq!(said.lines().count(), 1, "said once while it lasts: {said}");
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
    wait_for(5000, "supervise to exit", || !alive(sup));
}

#[test]
fn a_check_that_cannot_run_is_said_once_and_counted() {
    let files = [("check-interval", "100"), ("check-start", "50"), ("check-retries", "1000")];
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec sleep 1000");
    fs::create_dir(dir.join("check")).unwrap();
    settings(&dir, &files);
    sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    wait_for(3000, "three failures", || sb.svstat_json("s")["check_failures"].as_u64() >= Some(3));
    let said = |what: &str| sb.stderr_of("supervise-s").matches(what).count();
    assert_eq!(said("supervise: warning: unable to run s/check: is a directory: counted as a failure\n"), 1);
    // Not executable, then a dangling symlink: each said once.
    fs::remove_dir(dir.join("check")).unwrap();
    fs::write(dir.join("check"), "#!/bin/sh\nexit 0\n").unwrap();
    wait_for(3000, "access denied said", || said("s/check: access denied: counted as a failure\n") == 1);
    fs::remove_file(dir.join("check")).unwrap();
    symlink("nowhere", dir.join("check")).unwrap();
    wait_for(3000, "dangling said", || said("s/check: dangling symlink: counted as a failure\n") == 1);
    let failures = sb.svstat_json("s")["check_failures"].as_u64().unwrap();
    wait_for(3000, "more failures", || sb.svstat_json("s")["check_failures"].as_u64() > Some(failures + 2));
    assert_eq!(said("dangling symlink"), 1, "{}", sb.stderr_of("supervise-s"));
    // Fixed: healthy; removed: checked no more (at its next turn).
    fs::remove_file(dir.join("check")).unwrap();
    write_script(&dir.join("check"), "exit 0");
    wait_for(3000, "healthy", || sb.svstat_json("s")["healthy"].as_bool() == Some(true));
    fs::remove_file(dir.join("check")).unwrap();
    wait_for(3000, "checked no more", || sb.svstat_json("s")["healthy"].is_null());
    assert_eq!(sb.status("s").pid, pid);
    sb.run(bin("svok"), &["-U", "s"]).code(0);
}

#[test]
fn bad_check_settings_warn_and_take_the_default() {
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec sleep 1000");
    write_script(&dir.join("check"), "exit 0");
    settings(
        &dir,
        &[("check-interval", "0"), ("check-timeout", "-5"), ("check-retries", "lots"), ("check-start", "99999999999")],
    );
    sb.supervise(&bin("supervise"), "s");
    sb.wait_up("s", 0);
    let err = sb.stderr_of("supervise-s");
    for name in ["check-interval", "check-timeout", "check-retries", "check-start"] {
        let line = format!("supervise: warning: invalid s/{name}: default used");
        assert!(err.lines().any(|l| l == line), "{line:?} not in:\n{err}");
    }
    // The defaults: the first check 10 s after the start.
    let j = sb.svstat_json("s");
    assert_eq!((j["healthy"].as_bool(), j["check_failures"].as_u64()), (Some(false), Some(0)), "{j}");
    assert!(j["last_check_seconds"].is_null());
    sb.run(bin("svok"), &["-U", "s"]).code(100).stderr_is("svok: warning: s: not ready\n");
}

#[test]
fn check_added_while_up_is_taken_up_at_the_next_letter_and_told_the_pid() {
    let sb = Supervised::new("exec sleep 1000");
    settings(&sb.dir, &[("check-interval", "100"), ("check-start", "50")]);
    write_script(&sb.dir.join("check"), "echo $MAINPID > checked-pid");
    std::thread::sleep(Duration::from_millis(300));
    assert!(sb.svstat_json("s")["healthy"].is_null(), "not before an event reads the settings");
    sb.run(bin("svc"), &["-u", "s"]).code(0);
    wait_for(3000, "checked", || sb.svstat_json("s")["healthy"].as_bool() == Some(true));
    assert_eq!(fs::read_to_string(sb.dir.join("checked-pid")).unwrap(), format!("{}\n", sb.pid));
    assert_eq!(sb.status("s").pid, sb.pid, "not restarted for it");
    // Paused: not checked (a check running then is killed), and svok -U says so.
    sb.run(bin("svc"), &["-p", "s"]).code(0);
    wait_for(2000, "paused", || sb.status("s").paused);
    sb.run(bin("svok"), &["-U", "s"]).code(100).stderr_is("svok: warning: s: paused\n");
    wait_for(2000, "no check running", || children(sb.supervise).iter().all(|&c| c == sb.pid));
    fs::remove_file(sb.dir.join("checked-pid")).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(!sb.dir.join("checked-pid").exists(), "checked while paused");
    sb.run(bin("svc"), &["-c", "s"]).code(0);
    wait_for(3000, "checked again", || sb.dir.join("checked-pid").exists());
}

#[test]
fn svok_u_takes_every_directory_and_says_each_that_is_not_fit() {
    let sb = Sandbox::new();
    sb.service("up", "exec sleep 1000");
    sb.service("down", "exec sleep 1000");
    fs::write(sb.join("down/down"), "").unwrap();
    fs::create_dir(sb.join("never")).unwrap();
    sb.supervise(&bin("supervise"), "up");
    sb.supervise(&bin("supervise"), "down");
    sb.wait_up("up", 0);
    sb.run(bin("svok"), &["-U", "up"]).code(0).stdout_is("").stderr_is("");
    sb.run(bin("svok"), &["-U", "up", "down", "never"])
        .code(100)
        .stdout_is("")
        .stderr_is("svok: warning: down: down\nsvok: warning: never: supervise not running\n");
    sb.run(bin("svok"), &["-U", "up", "nope"])
        .code(111)
        .stderr_is("svok: fatal: unable to chdir to nope: file does not exist\n");
    sb.run(bin("svok"), &["-U"]).code(100).stderr_is("svok: usage: svok dir\n");
    // Without -U, daemontools' svok: the first directory only.
    sb.run(bin("svok"), &["up", "never"]).code(0);
    // Against daemontools' supervise, up is all it can tell.
    sb.service("theirs", "exec sleep 1000");
    sb.supervise(&real("supervise"), "theirs");
    sb.wait_up("theirs", 0);
    sb.run(bin("svok"), &["-U", "theirs"]).code(0);
}
