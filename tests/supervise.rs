//! supervise, driven for real: files and modes, the lock, `down`, every
//! control letter's effect on the process and on the status, a missing or
//! broken `run`, the restart spacing, and SIGTERM.

use crate::common::*;
use daemontools::status::Want;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::time::{Duration, Instant};

const SLEEPER: &str = "exec sleep 1000";

fn mode(p: &std::path::Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn makes_its_files_with_daemontools_modes_and_runs_the_service() {
    let sb = Supervised::new(SLEEPER);
    let (dir, pid) = (sb.dir.clone(), sb.pid);
    let sup = dir.join("supervise");
    assert_eq!(mode(&sup), 0o700);
    assert_eq!(mode(&sup.join("lock")), 0o600);
    assert_eq!(mode(&sup.join("status")), 0o644);
    for fifo in ["control", "ok"] {
        assert!(fs::metadata(sup.join(fifo)).unwrap().file_type().is_fifo(), "{fifo} is a FIFO");
        assert_eq!(mode(&sup.join(fifo)), 0o600);
    }
    assert_eq!(fs::read(sup.join("status")).unwrap().len(), 18);
    assert!(!sup.join("status.new").exists());
    // The child runs `./run` in DIR: here run execs sleep.
    let cmdline = fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert_eq!(cmdline, "sleep\x001000\x00");
    assert_eq!(fs::read_link(format!("/proc/{pid}/cwd")).unwrap(), dir);
    assert_eq!(sb.status("s").want, Want::Up);
}

#[test]
fn usage_is_exit_100() {
    let sb = Sandbox::new();
    for args in [&[][..], &["a", "b"][..]] {
        sb.run(bin("supervise"), args).code(100).stderr_is("supervise: usage: supervise dir\n");
    }
}

#[test]
fn a_missing_directory_is_fatal_111() {
    let sb = Sandbox::new();
    sb.run(bin("supervise"), &["nope"])
        .code(111)
        .stderr_is("supervise: fatal: unable to chdir to nope: file does not exist\n");
}

#[test]
fn a_held_lock_is_fatal_111_and_leaves_the_first_alone() {
    let sb = Supervised::new(SLEEPER);
    let (first, pid) = (sb.supervise, sb.pid);
    sb.run(bin("supervise"), &["s"])
        .code(111)
        .stderr_is("supervise: fatal: unable to acquire s/supervise/lock: temporary failure\n");
    assert!(alive(first));
    assert_eq!(sb.status("s").pid, pid);
}

#[test]
fn the_real_supervise_respects_our_lock_and_we_respect_its() {
    let sb = Sandbox::new();
    sb.service("ours", SLEEPER);
    sb.service("theirs", SLEEPER);
    sb.supervise(&bin("supervise"), "ours");
    sb.supervise(&real("supervise"), "theirs");
    sb.run(real("supervise"), &["ours"])
        .code(111)
        .stderr_has("unable to acquire ours/supervise/lock: temporary failure");
    sb.run(bin("supervise"), &["theirs"])
        .code(111)
        .stderr_is("supervise: fatal: unable to acquire theirs/supervise/lock: temporary failure\n");
}

#[test]
fn down_file_keeps_it_down_until_u() {
    let sb = Sandbox::new();
    let dir = sb.service("s", SLEEPER);
    fs::write(dir.join("down"), "").unwrap();
    sb.supervise(&bin("supervise"), "s");
    let st = sb.status("s");
    assert_eq!((st.pid, st.want), (0, Want::Down));
    assert!(stdout(&sb.run(bin("svstat"), &["s"])).starts_with("s: down "));
    sb.run(bin("svc"), &["-u", "s"]);
    sb.wait_up("s", 0);
    let out = stdout(&sb.run(bin("svstat"), &["s"]));
    assert!(out.ends_with(" seconds, normally down\n"), "{out}");
}

#[test]
fn d_terms_then_conts_and_u_brings_it_back() {
    // The service records each signal; a stopped one would record TERM only after CONT.
    let sb = Supervised::new("trap 'echo TERM >> ../got; exit 0' TERM\nwhile :; do sleep 0.02; done");
    let pid = sb.pid;
    wait_trapped(pid, libc::SIGTERM);
    sb.run(bin("svc"), &["-p", "s"]);
    wait_for(2000, "the service to stop", || proc_state(pid) == "T");
    sb.run(bin("svc"), &["-d", "s"]);
    sb.wait_down("s");
    assert_eq!(fs::read_to_string(sb.join("got")).unwrap(), "TERM\n");
    let st = sb.status("s");
    assert_eq!((st.want, st.paused), (Want::Down, false));
    sb.run(bin("svc"), &["-u", "s"]);
    let again = sb.wait_up("s", pid);
    assert_ne!(again, pid);
    assert_eq!(sb.status("s").want, Want::Up);
}

#[test]
fn signal_letters_reach_the_service() {
    let sb = Supervised::new(
        "for s in HUP ALRM INT TERM USR1; do trap \"echo $s >> ../got\" $s; done\nwhile :; do sleep 0.02; done",
    );
    let pid = sb.pid;
    // The traps are set in order: USR1's last.
    wait_trapped(pid, libc::SIGUSR1);
    let got = || fs::read_to_string(sb.join("got")).unwrap_or_default();
    let mut expect = String::new();
    for (letter, name) in [("-h", "HUP"), ("-a", "ALRM"), ("-i", "INT"), ("-t", "TERM")] {
        sb.run(bin("svc"), &[letter, "s"]);
        expect += name;
        expect += "\n";
        wait_for(3000, name, || got() == expect);
    }
    assert_eq!(sb.status("s").pid, pid, "trapped signals do not kill it");
    sb.run(bin("svc"), &["-k", "s"]);
    let again = sb.wait_up("s", pid);
    assert!(!alive(pid));
    assert_ne!(again, pid);
}

#[test]
fn p_stops_c_continues_and_status_says_paused() {
    let sb = Supervised::new(SLEEPER);
    let pid = sb.pid;
    let stamp = sb.status("s").stamp;
    sb.run(bin("svc"), &["-p", "s"]);
    wait_for(2000, "stopped", || proc_state(pid) == "T");
    wait_for(2000, "status paused", || sb.status("s").paused);
    assert!(stdout(&sb.run(bin("svstat"), &["s"])).ends_with(" seconds, paused\n"));
    sb.run(bin("svc"), &["-c", "s"]);
    wait_for(2000, "continued", || proc_state(pid) == "S");
    wait_for(2000, "status not paused", || !sb.status("s").paused);
    assert_eq!(sb.status("s").stamp, stamp, "the stamp changes only with the pid");
}

#[test]
fn o_runs_once() {
    let sb = Sandbox::new();
    let dir = sb.service("s", SLEEPER);
    fs::write(dir.join("down"), "").unwrap();
    sb.supervise(&bin("supervise"), "s");
    sb.run(bin("svc"), &["-o", "s"]);
    let pid = sb.wait_up("s", 0);
    assert_eq!(sb.status("s").want, Want::Nothing);
    assert_eq!(stdout(&sb.run(bin("svstat"), &["s"])), stdout(&sb.run(real("svstat"), &["s"])));
    sb.run(bin("svc"), &["-k", "s"]);
    sb.wait_down("s");
    assert!(!alive(pid));
    // Not restarted, even after the spacing.
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(sb.status("s").pid, 0);
}

#[test]
fn x_exits_only_once_the_service_is_down() {
    let sb = Supervised::new(SLEEPER);
    let (sup, pid) = (sb.supervise, sb.pid);
    sb.run(bin("svc"), &["-x", "s"]);
    // x alone does not stop anything: once supervise has acted on a letter
    // sent after it (p), the service and supervise still run.
    sb.run(bin("svc"), &["-p", "s"]);
    wait_for(5000, "the letter after x", || sb.status("s").paused);
    assert!(alive(pid) && alive(sup));
    sb.run(bin("svc"), &["-d", "s"]);
    assert_eq!(sb.wait_exit(sup, 5000).code(), Some(0));
    assert!(!alive(pid));
    let st = sb.status("s");
    assert_eq!((st.pid, st.want), (0, Want::Down));
    sb.run(bin("svok"), &["s"]).code(100);
}

#[test]
fn dx_on_a_down_service_exits_at_once() {
    let sb = Sandbox::new();
    let dir = sb.service("s", SLEEPER);
    fs::write(dir.join("down"), "").unwrap();
    let sup = sb.supervise(&bin("supervise"), "s");
    sb.run(bin("svc"), &["-dx", "s"]);
    assert_eq!(sb.wait_exit(sup, 2000).code(), Some(0));
}

#[test]
fn unknown_control_bytes_are_ignored() {
    let sb = Supervised::new(SLEEPER);
    let (dir, sup, pid) = (sb.dir.clone(), sb.supervise, sb.pid);
    let garbage: Vec<u8> = (0..=255u8).filter(|b| !b"udopchaitkxq12PCK".contains(b)).cycle().take(4000).collect();
    std::io::Write::write_all(
        &mut fs::OpenOptions::new().write(true).open(dir.join("supervise/control")).unwrap(),
        &garbage,
    )
    .unwrap();
    // A letter after the garbage is still obeyed, so the garbage was read.
    sb.run(bin("svc"), &["-p", "s"]);
    wait_for(2000, "paused", || sb.status("s").paused);
    assert!(alive(sup));
    assert_eq!(sb.status("s").pid, pid);
}

#[test]
fn sigterm_to_supervise_takes_the_service_down_then_exits() {
    let sb = Supervised::new("trap 'echo TERM >> ../got; exit 0' TERM\nwhile :; do sleep 0.02; done");
    let (sup, pid) = (sb.supervise, sb.pid);
    wait_trapped(pid, libc::SIGTERM);
    signal(sup, libc::SIGTERM);
    assert_eq!(sb.wait_exit(sup, 5000).code(), Some(0));
    assert!(!alive(pid), "the service is not orphaned");
    assert_eq!(fs::read_to_string(sb.join("got")).unwrap(), "TERM\n");
    let st = sb.status("s");
    assert_eq!((st.pid, st.want), (0, Want::Down));
}

#[test]
fn a_missing_run_warns_and_is_retried_each_second_while_svc_works() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("s")).unwrap();
    let sup = sb.supervise(&bin("supervise"), "s");
    let log = "supervise-s";
    let warning = "supervise: fatal: unable to start s/run: file does not exist\n";
    wait_for(5000, "two attempts", || sb.stderr_of(log).matches(warning).count() >= 2);
    assert!(sb.stderr_of(log).lines().all(|l| l == warning.trim_end()), "{}", sb.stderr_of(log));
    // svc works during the retries.
    sb.run(bin("svc"), &["-d", "s"]);
    wait_for(500, "want down", || sb.status("s").want == Want::Down);
    let attempts = sb.stderr_of(log).matches(warning).count();
    write_script(&sb.join("s/run"), SLEEPER);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(sb.stderr_of(log).matches(warning).count(), attempts, "no retry once down");
    sb.run(bin("svc"), &["-u", "s"]);
    sb.wait_up("s", 0);
    assert!(alive(sup));
}

#[test]
fn a_non_executable_run_warns_access_denied() {
    let sb = Sandbox::new();
    let dir = sb.service("s", SLEEPER);
    fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o644)).unwrap();
    sb.supervise(&bin("supervise"), "s");
    let warning = "supervise: fatal: unable to start s/run: access denied";
    wait_for(3000, "the warning", || sb.stderr_of("supervise-s").contains(warning));
    fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o755)).unwrap();
    sb.wait_up("s", 0);
}

#[test]
fn a_crash_loop_starts_at_most_once_a_second_and_d_acts_at_once() {
    let sb = Sandbox::new();
    sb.service("s", "echo x >> ../starts\nexit 1");
    let starts = || fs::read_to_string(sb.join("starts")).unwrap_or_default().lines().count();
    let t0 = Instant::now();
    sb.supervise(&bin("supervise"), "s");
    wait_for(5000, "three starts", || starts() >= 3);
    let elapsed = t0.elapsed();
    assert!(elapsed >= Duration::from_millis(1900), "3 starts took only {elapsed:?}");

    // Right after a start, daemontools sleeps a second before it reads control.
    let seen = starts();
    wait_for(3000, "the next start", || starts() > seen);
    let t = Instant::now();
    sb.run(bin("svc"), &["-d", "s"]);
    wait_for(2000, "want down", || sb.status("s").want == Want::Down);
    let reaction = t.elapsed();
    assert!(reaction < Duration::from_millis(500), "svc -d took {reaction:?} to act");
    sb.wait_down("s");
    let after = starts();
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(starts(), after, "no start after svc -d");
}

#[test]
fn the_service_gets_sigpipe_at_its_default() {
    let sb = Supervised::new("grep SigIgn /proc/self/status > ../sigign\nexec sleep 1000");
    wait_for(2000, "the record", || fs::read_to_string(sb.join("sigign")).is_ok_and(|s| s.ends_with('\n')));
    let line = fs::read_to_string(sb.join("sigign")).unwrap();
    let mask = u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap();
    assert_eq!(mask & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE ignored in the service: {line}");
}

#[test]
fn status_is_replaced_atomically() {
    let sb = Supervised::new(SLEEPER);
    let dir = sb.dir.clone();
    let status = dir.join("supervise/status");
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                assert_eq!(fs::read(&status).unwrap().len(), 18, "a torn status");
                reads += 1;
            }
            reads
        });
        let mut control = fs::OpenOptions::new().write(true).open(dir.join("supervise/control")).unwrap();
        for _ in 0..500 {
            std::io::Write::write_all(&mut control, b"pc").unwrap();
        }
        sb.run(bin("svc"), &["-p", "s"]);
        wait_for(3000, "the last letter", || sb.status("s").paused);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
}
