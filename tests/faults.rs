//! Faults around the suite, each a bounded version of a scenario that
//! `bench/soak.py` runs longer with figures: supervise or svscan killed, a
//! logger stopped, a service that exits at once; descriptors that must not
//! reach a child; and the permissions that keep another user out.

use crate::common::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

/// `svscan services` with our programs first in PATH, as `log` in the sandbox.
fn svscan(sb: &Sandbox, log: &str) -> u32 {
    let mut cmd = sb.command(bin("svscan"));
    let dir = bin("svscan").parent().unwrap().display().to_string();
    cmd.arg("services").env("PATH", format!("{dir}:/usr/bin:/bin"));
    sb.spawn(only_std_fds(cmd), log)
}

/// The command started with no descriptor but 0, 1 and 2, whatever the test
/// itself inherited, so that any other one its children hold is theirs.
fn only_std_fds(mut cmd: std::process::Command) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: close_range between fork and exec touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    cmd
}

/// The parent pid of `pid`.
fn ppid(pid: u32) -> u32 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().and_then(|s| s.split_whitespace().nth(1)).and_then(|p| p.parse().ok()).unwrap_or(0)
}

/// The open descriptors of `pid` with what they point to.
fn fds(pid: u32) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .map(|e| {
            let n = e.file_name().to_string_lossy().parse().unwrap();
            (n, fs::read_link(e.path()).unwrap_or_default().display().to_string())
        })
        .collect();
    out.sort();
    out
}

fn fd_numbers(pid: u32) -> Vec<u32> {
    fds(pid).into_iter().map(|(n, _)| n).collect()
}

/// Waits until `pid` has exec'd `sleep` and sleeps in it. Its name is
/// `sleep` from the exec on, but the dynamic loader then holds each library
/// open while it maps it (`libc.so.6` as descriptor 3): only once asleep
/// are its descriptors the ones it was given.
fn wait_asleep(pid: u32) {
    let comm = || fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let wchan = || fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    wait_for(5000, "sleep to be asleep", || comm().trim() == "sleep" && wchan().contains("nanosleep"));
}

/// Live processes whose working directory is exactly `dir` and whose name is `comm`.
fn processes_in(dir: &Path, comm: &str) -> Vec<u32> {
    let dir = fs::canonicalize(dir).unwrap();
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|&pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == dir)
                && fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == comm)
                && alive(pid)
        })
        .collect()
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// A service `services/NAME` whose run is `run` and, with `log`, a `log/` running `log`.
fn service(sb: &Sandbox, name: &str, run: &str, log: Option<&str>) {
    sb.service(&format!("services/{name}"), run);
    if let Some(log) = log {
        fs::create_dir(sb.join(format!("services/{name}/log"))).unwrap();
        write_script(&sb.join(format!("services/{name}/log/run")), log);
    }
}

#[test]
fn a_killed_supervise_is_replaced_by_svscan_within_five_seconds() {
    let sb = Sandbox::new();
    service(&sb, "a", "exec sleep 1000", None);
    let scanner = svscan(&sb, "svscan");
    let old_run = sb.wait_up("services/a", 0);
    let old = ppid(old_run);
    assert_eq!(ppid(old), scanner, "svscan's child supervises the service");
    // Killed after running over a second (one that fails at once waits for
    // the scan), just after a scan, where daemontools' svscan would wait 5 s.
    std::thread::sleep(Duration::from_millis(1200));
    signal_handled(scanner, libc::SIGALRM);
    signal(old, libc::SIGKILL);
    // The new supervise starts a new run (the old one, orphaned, is the
    // operator's to stop, as with daemontools): about a second later.
    let new_run = sb.wait_up_within("services/a", old_run, 3000);
    let new = ppid(new_run);
    assert!(new != old && ppid(new) == scanner, "the new supervise {new} is svscan's child");
    signal(old_run, libc::SIGKILL);
}

#[test]
fn a_killed_svscan_is_taken_over_without_a_second_service() {
    let sb = Sandbox::new();
    let logger = format!("exec {} ./main", bin("multilog").display());
    for name in ["a", "b"] {
        service(&sb, name, "exec 2>&1\necho started $$\nexec sleep 1000", Some(&logger));
    }
    let first = svscan(&sb, "svscan1");
    let mut pids = Vec::new();
    for dir in ["services/a", "services/b", "services/a/log", "services/b/log"] {
        pids.push((dir, sb.wait_up(dir, 0)));
    }
    for name in ["a", "b"] {
        wait_for(5000, "the first line logged", || {
            fs::read_to_string(sb.join(format!("services/{name}/log/main/current")))
                .is_ok_and(|t| t.contains("started"))
        });
    }
    signal(first, libc::SIGKILL);
    sb.wait_exit(first, 5000);

    // The new svscan finds a supervise running in every entry (supervise/ok
    // has a reader) and leaves it be: it starts nothing and says nothing,
    // scan after scan (here, over a full 5-second scan).
    let second = svscan(&sb, "svscan2");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(6000) {
        assert_eq!(children(second), Vec::<u32>::new(), "the new svscan starts no supervise");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(sb.stderr_of("svscan2"), "");
    for (dir, pid) in &pids {
        assert_eq!(sb.status(dir).pid, *pid, "{dir} runs the same process");
        assert!(alive(*pid), "{dir}");
        let comm = if dir.ends_with("log") { "multilog" } else { "sleep" };
        assert_eq!(processes_in(&sb.join(dir), comm), vec![*pid], "one {comm} in {dir}");
    }
    for name in ["a", "b"] {
        let log = fs::read_to_string(sb.join(format!("services/{name}/log/main/current"))).unwrap();
        assert_eq!(log.matches("started").count(), 1, "{log}");
    }
    // Once the old service supervise of a goes (TERM: down, then exit), the
    // pair is broken: the new svscan tells the old logger's supervise to
    // exit too (its pipe has no writer left), then starts both on its own
    // pipe, so that the new service's lines are logged again.
    let (old_service, old_logger) = (ppid(pids[0].1), ppid(pids[2].1));
    signal(old_service, libc::SIGTERM);
    let log = sb.join("services/a/log/main/current");
    wait_for(16_000, "the new service's first line in the log", || {
        fs::read_to_string(&log).is_ok_and(|t| t.matches("started").count() == 2)
    });
    assert!(!alive(old_logger), "the old logger's supervise was told to exit");
    for (dir, old) in [("services/a", pids[0].1), ("services/a/log", pids[2].1)] {
        // Its supervise writes the status just after the run starts.
        let pid = sb.wait_up(dir, old);
        let chain = (pid, ppid(pid), ppid(ppid(pid)), second, old);
        assert!(pid != old && chain.2 == second, "{dir} runs under the new svscan: {chain:?}");
    }
    // b, whole, is still the old svscan's.
    assert_eq!(sb.status("services/b").pid, pids[1].1);
    assert_eq!(sb.stderr_of("svscan2"), "");
}

#[test]
fn a_stopped_logger_blocks_the_service_and_loses_nothing() {
    let sb = Sandbox::new();
    let logger = format!("exec {} s16777215 ./main", bin("multilog").display());
    service(
        &sb,
        "w",
        // One command per line written: the trap, run between commands,
        // never sees a number not yet echoed.
        "exec 2>&1\ntrap 'echo last $i; exit 0' TERM\ni=0\nwhile :; do echo $((i+=1)); done",
        Some(&logger),
    );
    let scanner = svscan(&sb, "svscan");
    let writer = sb.wait_up("services/w", 0);
    let logger = sb.wait_up("services/w/log", 0);
    let current = sb.join("services/w/log/main/current");
    wait_for(10_000, "lines in the log", || fs::metadata(&current).is_ok_and(|m| m.len() > 100_000));
    signal(logger, libc::SIGSTOP);
    let written = |pid: u32| {
        let io = fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
        io.lines().find_map(|l| l.strip_prefix("wchar: ")).unwrap().parse::<u64>().unwrap()
    };
    // The writer fills the pipe, then sleeps in the kernel's pipe write.
    wait_for(5000, "the writer to block on the full pipe", || {
        fs::read_to_string(format!("/proc/{writer}/wchan")).is_ok_and(|w| w.contains("pipe_write"))
    });
    let last = written(writer);
    let size = fs::metadata(&current).unwrap().len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(fs::metadata(&current).unwrap().len(), size, "nothing is logged while the logger is stopped");
    assert_eq!(written(writer), last, "the writer stays blocked");
    signal(logger, libc::SIGCONT);
    wait_for(5000, "logging to go on", || fs::metadata(&current).is_ok_and(|m| m.len() > size + 100_000));
    // An orderly stop: the service first, then its logger once it has logged everything.
    signal(scanner, libc::SIGTERM);
    sb.wait_exit(scanner, 15_000);
    let mut text = String::new();
    let mut names: Vec<_> = fs::read_dir(sb.join("services/w/log/main"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.starts_with('@'))
        .collect();
    names.sort();
    names.push("current".into());
    for n in names {
        text.push_str(&fs::read_to_string(sb.join("services/w/log/main").join(n)).unwrap());
    }
    let mut lines = text.lines();
    let mut expect = 1u64;
    for line in lines.by_ref() {
        if let Some(last) = line.strip_prefix("last ") {
            assert_eq!(last.parse::<u64>().unwrap(), expect - 1, "the last number written");
            break;
        }
        assert_eq!(line.parse::<u64>().ok(), Some(expect), "line {expect} is lost or doubled");
        expect += 1;
    }
    assert_eq!(lines.next(), None, "nothing after `last`");
    assert!(expect > 10_000, "{expect} lines");
}

#[test]
fn a_service_that_exits_at_once_starts_once_a_second_and_supervise_stays_idle() {
    let sb = Sandbox::new();
    sb.service("s", "echo x >> ../starts\nexit 0");
    let t0 = Instant::now();
    let supervise = sb.supervise(&bin("supervise"), "s");
    let before = cpu_ticks(supervise);
    let mut slowest = Duration::ZERO;
    while t0.elapsed() < Duration::from_millis(3500) {
        for (prog, args) in [("svstat", ["s"]), ("svc", ["s"])] {
            let t = Instant::now();
            let o = sb.run(bin(prog), &args);
            slowest = slowest.max(t.elapsed());
            assert!(o.status.success(), "{prog}: {}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let starts = fs::read_to_string(sb.join("starts")).unwrap_or_default().lines().count();
    let seconds = t0.elapsed().as_secs_f64();
    assert!(starts >= 2 && starts as f64 <= seconds + 1.0, "{starts} starts in {seconds:.1} s");
    // Clock ticks are 10 ms: 5% of 3.5 s is 17 (daemontools-style sleeping uses about 0).
    let ticks = cpu_ticks(supervise) - before;
    assert!(ticks < 17, "supervise used {ticks} ticks of CPU in {seconds:.1} s");
    // svstat and svc answer at once throughout (the precise figure is soak.py's).
    assert!(slowest < Duration::from_millis(1500), "slowest svstat or svc: {slowest:?}");
}

#[test]
fn no_descriptor_leaks_into_a_service_a_logger_or_a_processor() {
    let sb = Sandbox::new();
    service(&sb, "a", "exec sleep 1000", Some("exec sleep 1000"));
    service(&sb, "n", "exec sleep 1000", None);
    fs::write(sb.join("services/n/notification-fd"), "5\n").unwrap();
    let scanner = svscan(&sb, "svscan");
    let run = sb.wait_up("services/a", 0);
    let log = sb.wait_up("services/a/log", 0);
    let ready = sb.wait_up("services/n", 0);
    // The run scripts exec sleep; until then sh holds the script open.
    for pid in [run, log, ready] {
        wait_asleep(pid);
    }
    assert_eq!(fd_numbers(run), [0, 1, 2], "{:?}", fds(run));
    assert_eq!(fd_numbers(log), [0, 1, 2], "{:?}", fds(log));
    assert_eq!(fd_numbers(ready), [0, 1, 2, 5], "{:?}", fds(ready));
    assert!(
        fds(run)[1].1.starts_with("pipe:") && fds(run)[1].1 == fds(log)[0].1,
        "the service writes into its logger's pipe"
    );
    // Each supervise holds its own files and no other's: no inotify of
    // svscan's, no pipe but its self-pipe (and for n the read end of the
    // readiness pipe; a's stdout to its logger is fd 1).
    for (pid, dir, own_pipes) in [(ppid(run), "a", 2), (ppid(log), "a/log", 2), (ppid(ready), "n", 3)] {
        assert_eq!(ppid(pid), scanner);
        let own = fds(pid);
        let pipes = own.iter().filter(|(n, t)| *n > 2 && t.starts_with("pipe:")).count();
        assert_eq!(pipes, own_pipes, "supervise of {dir}: {own:?}");
        assert!(!own.iter().any(|(_, t)| t.contains("inotify")), "supervise of {dir}: {own:?}");
    }
    // multilog's processor gets 0, 1, 2, 4 and 5 only.
    fs::create_dir(sb.join("log")).unwrap();
    fs::write(sb.join("input"), "a line of input\n".repeat(10_000)).unwrap();
    // Through sh, as spawn gives its processes /dev/null for input.
    let mut cmd = sb.command("/bin/sh");
    let script = format!("exec {} '!exec sleep 1000' s4096 ./log < input", bin("multilog").display());
    cmd.args(["-c", &script]);
    let multilog = sb.spawn(only_std_fds(cmd), "multilog");
    let mut processor = 0;
    wait_for(5000, "the processor to run", || {
        processor = children(multilog)
            .into_iter()
            .find(|&p| fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sleep"))
            .unwrap_or(0);
        processor != 0
    });
    wait_asleep(processor);
    assert_eq!(fd_numbers(processor), [0, 1, 2, 4, 5], "{:?}", fds(processor));
}

#[test]
fn another_user_is_refused_with_access_denied() {
    let Some(account) = Account::if_root("f", "another_user_is_refused") else { return };
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let pid = sb.supervised("s", "exec sleep 1000").pid;
    let mode = |p: &str| fs::metadata(sb.join(p)).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode("s/supervise").mode() & 0o7777, 0o700);
    assert_eq!(mode("s/supervise/control").mode() & 0o7777, 0o600);
    assert_eq!(mode("s/supervise/ok").mode() & 0o7777, 0o600);
    // Run as the account through setuidgid, ours and daemontools' clients alike.
    let as_account = |program: &Path, args: &[&str]| {
        let mut all = vec![account.0.as_str(), program.to_str().unwrap()];
        all.extend_from_slice(args);
        sb.run(bin("setuidgid"), &all)
    };
    for (prog, args) in [("svc", &["-k", "s"][..]), ("svok", &["s"][..]), ("svstat", &["s"][..])] {
        let (ours, theirs) = (as_account(&sb.public_bin(prog), args), as_account(&real(prog), args));
        let show = |o: &std::process::Output| (o.status.code(), stdout(o), stderr(o));
        assert_eq!(show(&ours), show(&theirs), "{prog}: ours, then daemontools'");
        assert!(format!("{}{}", stdout(&ours), stderr(&ours)).contains("access denied"), "{prog}: {:?}", show(&ours));
    }
    // What the account may not read or write: a service directory, a log
    // directory and an envdir file of root's.
    fs::create_dir(sb.join("private")).unwrap();
    fs::set_permissions(sb.join("private"), std::fs::Permissions::from_mode(0o700)).unwrap();
    fs::create_dir(sb.join("rootlog")).unwrap();
    fs::create_dir(sb.join("env")).unwrap();
    fs::write(sb.join("env/SECRET"), "x\n").unwrap();
    fs::set_permissions(sb.join("env/SECRET"), std::fs::Permissions::from_mode(0o600)).unwrap();
    for (prog, args) in [
        ("supervise", &["private"][..]),
        ("multilog", &["./rootlog"][..]),
        ("envdir", &["env", "true"][..]),
        ("setlock", &["private/lock", "true"][..]),
    ] {
        let (ours, theirs) = (as_account(&sb.public_bin(prog), args), as_account(&real(prog), args));
        let show = |o: &std::process::Output| (o.status.code(), stdout(o), stderr(o));
        assert_eq!(show(&ours), show(&theirs), "{prog}: ours, then daemontools'");
        ours.code(111);
        assert!(
            stderr(&ours).ends_with(": access denied\n") && stderr(&ours).lines().count() == 1,
            "{prog}: {}",
            stderr(&ours)
        );
    }
    let o = as_account(&sb.public_bin("svc"), &["-k", "s"]);
    assert_eq!(stderr(&o), "svc: warning: unable to control s: access denied\n");
    assert_eq!(sb.status("s").pid, pid, "the service was not touched");
    assert!(alive(pid));
}

#[test]
fn a_supervise_that_fails_at_once_is_retried_at_the_scan_not_each_second() {
    let sb = Sandbox::new();
    service(&sb, "broken", "exec sleep 1000", None);
    // supervise cannot make its directory: it exits 111 at once.
    fs::write(sb.join("services/broken/supervise"), "").unwrap();
    svscan(&sb, "svscan");
    let t0 = Instant::now();
    wait_for(3000, "the first failure", || sb.stderr_of("svscan").contains("supervise: fatal: "));
    while t0.elapsed() < Duration::from_millis(6500) {
        std::thread::sleep(Duration::from_millis(100));
    }
    // At 0 and 5 s (daemontools' pace), not every second.
    let failures = sb.stderr_of("svscan").lines().count();
    assert!((2..=3).contains(&failures), "{failures} failures in 6.5 s:\n{}", sb.stderr_of("svscan"));
}

#[test]
fn a_new_svscan_stops_what_it_took_over_on_hup_and_term() {
    let sb = Sandbox::new();
    let logger = format!("exec {} ./main", bin("multilog").display());
    let run = "exec 2>&1\necho started $$\nexec sleep 1000";
    service(&sb, "c", run, Some(&logger));
    // b lives outside the scanned directory, linked in, so that its entry can go.
    sb.service("sv/b", run);
    fs::create_dir(sb.join("sv/b/log")).unwrap();
    write_script(&sb.join("sv/b/log/run"), &logger);
    symlink("../sv/b", sb.join("services/b")).unwrap();
    let first = svscan(&sb, "svscan1");
    let mut supervisors = Vec::new();
    for dir in ["services/b", "services/b/log", "services/c", "services/c/log"] {
        supervisors.push(ppid(sb.wait_up(dir, 0)));
    }
    signal(first, libc::SIGKILL);
    sb.wait_exit(first, 5000);
    let second = svscan(&sb, "svscan2");
    // Its first scan done, it sleeps in poll.
    wait_for(5000, "the new svscan's first scan", || {
        fs::read_to_string(format!("/proc/{second}/wchan")).is_ok_and(|w| w.contains("poll"))
    });
    // HUP after b's entry is removed: b's old supervisors are told to go,
    // the service first, then its logger.
    fs::remove_file(sb.join("services/b")).unwrap();
    signal(second, libc::SIGHUP);
    wait_for(10_000, "b's old supervisors to exit", || !alive(supervisors[0]) && !alive(supervisors[1]));
    assert!(alive(supervisors[2]) && alive(supervisors[3]), "c is not touched");
    let log = fs::read_to_string(sb.join("sv/b/log/main/current")).unwrap();
    assert_eq!(log.matches("started").count(), 1, "b was not started again: {log}");
    // TERM: c's old supervisors go too, and svscan exits 0.
    signal(second, libc::SIGTERM);
    assert_eq!(sb.wait_exit(second, 15_000).code(), Some(0));
    assert!(!alive(supervisors[2]) && !alive(supervisors[3]), "c's old supervisors are gone");
    assert_eq!(sb.stderr_of("svscan2"), "");
}

#[test]
fn one_svscan_per_directory_and_no_word_on_ln_sfn() {
    let sb = Sandbox::new();
    sb.service("sv/a", "exec sleep 1000");
    fs::create_dir(sb.join("services")).unwrap();
    let first = svscan(&sb, "svscan1");
    wait_for(5000, "the first svscan's first scan", || {
        fs::read_to_string(format!("/proc/{first}/wchan")).is_ok_and(|w| w.contains("poll"))
    });
    // A second svscan on the same directory would take the first's
    // supervisors for orphans: it refuses to run.
    sb.run(bin("svscan"), &["services"])
        .code(111)
        .stderr_is("svscan: fatal: unable to lock services: another svscan runs there\n");
    // `ln -sfn` makes a temporary name and renames it over the link: inotify
    // reports the temporary name, gone by the time svscan looks at it.
    let o = sb.run("/bin/ln", &["-sfn", "../sv/a", "services/a"]);
    assert!(o.status.success());
    sb.wait_up("services/a", 0);
    let o = sb.run("/bin/ln", &["-sfn", "../sv/a", "services/a"]);
    assert!(o.status.success());
    signal_handled(first, libc::SIGALRM);
    assert_eq!(sb.stderr_of("svscan1"), "");
    // A grace too long to add to a clock is a usage error, not a panic at TERM.
    sb.run(bin("svscan"), &["-g", "1e19", "services"]).code(100);
}

#[test]
fn a_took_over_directory_renamed_and_replaced_is_told_apart() {
    let sb = Sandbox::new();
    let run = "exec 2>&1\necho started $$ >> ../started\nexec sleep 1000";
    sb.service("sv/a", run);
    fs::create_dir(sb.join("services")).unwrap();
    symlink("../sv/a", sb.join("services/a")).unwrap();
    let first = svscan(&sb, "svscan1");
    let old_run = sb.wait_up("services/a", 0);
    let old_supervise = ppid(old_run);
    signal(first, libc::SIGKILL);
    sb.wait_exit(first, 5000);
    let second = svscan(&sb, "svscan2");
    wait_for(5000, "the new svscan's first scan", || {
        fs::read_to_string(format!("/proc/{second}/wchan")).is_ok_and(|w| w.contains("poll"))
    });
    // The adopted directory is renamed away and a new one put in its place.
    fs::rename(sb.join("sv/a"), sb.join("sv/a.old")).unwrap();
    sb.service("sv/a", run);
    signal(second, libc::SIGALRM);
    let new_run = sb.wait_up_within("services/a", 0, 10_000);
    assert!(new_run != old_run && ppid(ppid(new_run)) == second);
    // HUP stops the old one, through its directory, and leaves the new one.
    fs::remove_file(sb.join("services/a")).unwrap();
    symlink("../sv/a", sb.join("services/b")).unwrap();
    signal_handled(second, libc::SIGHUP);
    wait_for(10_000, "the old supervise to be stopped", || !alive(old_supervise));
    // The same service (the same directory under a new name) runs on: the
    // same process, under the same supervise.
    assert_eq!(sb.status("services/b").pid, new_run, "the new service was restarted");
    assert!(alive(new_run) && ppid(ppid(new_run)) == second, "the new service runs on under its supervise");
    let started = fs::read_to_string(sb.join("sv/started")).unwrap();
    assert_eq!(started.lines().count(), 2, "{started}");
}
