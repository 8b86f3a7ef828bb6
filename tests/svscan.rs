//! svscan's daemontools behaviour: a supervise per service directory, a
//! logger joined by a pipe svscan holds open, restarts at the next scan.

use crate::common::*;
use std::fs;

fn lines(path: &std::path::Path) -> Vec<String> {
    fs::read_to_string(path).unwrap_or_default().lines().map(String::from).collect()
}

#[test]
fn starts_services_and_loggers_and_keeps_the_pipe() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    // A service that writes a numbered line every 20 ms, counting on across
    // restarts (a kill between the line and the count repeats a number; the
    // count is replaced by a rename, so that a kill never leaves it empty),
    // and a logger that appends what it reads to a file outside the service.
    let counter = "i=$(cat ../../count 2>/dev/null || echo 0)\n\
                   while :; do i=$((i+1)); echo line $i; echo $i > ../../count.new; \
                   mv ../../count.new ../../count; sleep 0.02; done";
    sb.service("services/a", counter);
    fs::create_dir(sb.join("services/a/log")).unwrap();
    write_script(&sb.join("services/a/log/run"), "exec cat >> ../../../logged");
    sb.service("services/plain", "exec sleep 1000");
    sb.service("services/.hidden", "exec sleep 1000");
    fs::write(sb.join("services/file"), "").unwrap();

    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    let svscan = sb.spawn(cmd, "svscan");
    sb.wait_up("services/a", 0);
    sb.wait_up("services/plain", 0);
    sb.wait_up("services/a/log", 0);
    let logged = sb.join("logged");
    wait_for(5000, "lines in the log", || lines(&logged).len() >= 5);
    assert!(!sb.join("services/.hidden/supervise").exists(), "dot entries are skipped");
    assert_eq!(sb.stderr_of("svscan"), "", "a plain file is skipped silently");

    // Kill the logger, then the service, mid-stream: each supervise starts
    // a new one on the same pipe, and the numbering shows no line was lost.
    for service in ["services/a/log", "services/a", "services/a/log"] {
        let pid = sb.status(service).pid;
        signal(pid, libc::SIGKILL);
        sb.wait_up(service, pid);
        let seen = lines(&logged).len();
        wait_for(5000, "more lines", || lines(&logged).len() >= seen + 5);
    }
    let mut got = lines(&logged);
    got.dedup();
    for (i, line) in got.iter().enumerate() {
        assert_eq!(line, &format!("line {}", i + 1), "a line was lost or reordered");
    }

    // Kill a supervise: the next scan (within 5 s) starts a new one, which
    // finds the service's old process gone.
    let sups = children(svscan);
    assert_eq!(sups.len(), 3, "one supervise per service and one for the log: {sups:?}");
    let plain_sup =
        *sups.iter().find(|p| fs::read_link(format!("/proc/{p}/cwd")).unwrap().ends_with("services/plain")).unwrap();
    let plain_pid = sb.status("services/plain").pid;
    signal(plain_sup, libc::SIGKILL);
    signal(plain_pid, libc::SIGKILL);
    wait_for(8000, "a new supervise", || children(svscan).iter().any(|p| !sups.contains(p)));
    sb.wait_up("services/plain", plain_pid);
    assert!(alive(svscan));
}

#[test]
fn a_broken_symlink_warns_and_a_missing_dir_is_fatal() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    std::os::unix::fs::symlink(sb.join("store/later"), sb.join("services/broken")).unwrap();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    sb.spawn(cmd, "svscan");
    let warning = "svscan: warning: unable to stat broken: file does not exist\n";
    wait_for(3000, "the warning", || sb.stderr_of("svscan") == warning);
    // DIR itself does not change when the target appears; a scan that left
    // something not started makes the next one read DIR whole all the same.
    wait_for(7000, "the warning again", || sb.stderr_of("svscan") == warning.repeat(2));
    sb.service("store/later", "exec sleep 1000");
    wait_for(7000, "the service once its target exists", || sb.try_status("store/later").is_some_and(|s| s.pid != 0));
    sb.run(bin("svscan"), &["nope"])
        .code(111)
        .stderr_is("svscan: fatal: unable to chdir to nope: file does not exist\n");
}

/// svscan on `services` in the sandbox, with `args` before the directory.
fn svscan(sb: &Sandbox, args: &[&str]) -> u32 {
    let mut cmd = sb.command(bin("svscan"));
    cmd.args(args).arg("services");
    sb.spawn(cmd, "svscan")
}

/// A service writing numbered lines as fast as it can, with our multilog as
/// its logger (or, `slow`, a shell loop much slower than the writer, so that
/// the pipe is full when the service stops); on TERM it writes `last N` and
/// exits.
pub(crate) fn writer(sb: &Sandbox, dir: &str, slow: bool) {
    let script = "exec 2>&1\ntrap 'echo last $i; exit 0' TERM\ni=0\nwhile :; do i=$((i+1)); echo $i; done";
    sb.service(dir, script);
    fs::create_dir(sb.join(dir).join("log")).unwrap();
    let logger = match slow {
        true => "mkdir -p main\nwhile IFS= read -r l; do echo \"$l\" >> main/current; done".to_string(),
        false => format!("exec {} s16777215 ./main", bin("multilog").display()),
    };
    write_script(&sb.join(dir).join("log/run"), &logger);
}

/// Every line of a multilog directory, oldest first: the rotated files, then `current`.
fn log_lines(main: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = fs::read_dir(main).unwrap().map(|e| e.unwrap().file_name()).collect();
    files.retain(|f| f.to_string_lossy().starts_with('@'));
    files.sort();
    files.push("current".into());
    files.iter().flat_map(|f| lines(&main.join(f))).collect()
}

/// Whether the writer's log has `n` lines yet (in `current` alone: cheap to poll).
pub(crate) fn logged(sb: &Sandbox, dir: &str, n: usize) -> bool {
    let main = sb.join(dir).join("log/main");
    fs::read_dir(&main).is_ok_and(|d| d.count() > 3) || lines(&main.join("current")).len() >= n
}

/// The writer's log counts up by one from its first line (older lines may
/// have been rotated away) to M, then says `last N` with N = M (or M + 1 when
/// TERM cut the line N short): every line it wrote reached the log.
pub(crate) fn check_complete(sb: &Sandbox, dir: &str) {
    let got = log_lines(&sb.join(dir).join("log/main"));
    let (last, numbered) = got.split_last().expect("a log");
    let n: usize =
        last.strip_prefix("last ").unwrap_or_else(|| panic!("log ends with {last:?}, not `last N`")).parse().unwrap();
    let first: usize = numbered.first().expect("numbered lines").parse().unwrap();
    for (i, line) in numbered.iter().enumerate() {
        assert_eq!(line, &(first + i).to_string(), "line {} lost", first + i);
    }
    let m = first + numbered.len() - 1;
    assert!(n == m || n == m + 1, "wrote up to {n}, logged up to {m}");
    assert!(n > 1000, "the writer wrote only {n} lines");
}

#[test]
fn a_new_symlink_is_picked_up_at_once_and_a_new_directory_at_the_next_scan() {
    let sb = Sandbox::new();
    sb.service("services/first", "exec sleep 1000");
    sb.service("store/linked", "exec sleep 1000");
    let pid = svscan(&sb, &[]);
    sb.wait_up("services/first", 0);

    std::os::unix::fs::symlink(sb.join("store/linked"), sb.join("services/linked")).unwrap();
    let t = std::time::Instant::now();
    wait_for(5000, "the symlinked service", || sb.try_status("store/linked").is_some_and(|s| s.pid != 0));
    // The scan is every 5 s: well under a second is inotify.
    assert!(t.elapsed().as_millis() < 1000, "took {:?}", t.elapsed());

    // A directory made in place may still be filling up: the next scan takes it.
    sb.service("services/made", "exec sleep 1000");
    wait_for(7000, "the directory made in place", || sb.try_status("services/made").is_some_and(|s| s.pid != 0));
    assert_eq!(children(pid).len(), 3);
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn alrm_scans_now_and_hup_takes_down_removed_entries_service_first() {
    let sb = Sandbox::new();
    sb.service("services/keep", "exec sleep 1000");
    writer(&sb, "store/gone", false);
    std::os::unix::fs::symlink(sb.join("store/gone"), sb.join("services/gone")).unwrap();
    let pid = svscan(&sb, &[]);
    let keep = sb.wait_up("services/keep", 0);
    let gone = sb.wait_up("store/gone", 0);
    let gone_log = sb.wait_up("store/gone/log", 0);
    wait_for(5000, "lines in the log", || logged(&sb, "store/gone", 2000));
    let sups = children(pid);
    assert_eq!(sups.len(), 3);

    // ALRM: scan now. The removed entry is left running, as daemontools does.
    fs::remove_file(sb.join("services/gone")).unwrap();
    sb.service("services/late", "exec sleep 1000");
    signal(pid, libc::SIGALRM);
    let t = std::time::Instant::now();
    wait_for(5000, "the new entry", || sb.try_status("services/late").is_some_and(|s| s.pid != 0));
    assert!(t.elapsed().as_millis() < 1000, "ALRM did not scan at once: {:?}", t.elapsed());
    assert!(alive(gone) && alive(gone_log));

    // HUP: the removed entry goes down, its logger after it with every line.
    signal(pid, libc::SIGHUP);
    wait_for(5000, "the removed service and its logger to stop", || {
        // Left: the supervise of keep and of late.
        !alive(gone) && !alive(gone_log) && children(pid).len() == 2
    });
    check_complete(&sb, "store/gone");
    assert!(alive(keep) && alive(pid));
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn term_takes_everything_down_loggers_last_and_kills_after_the_grace() {
    let sb = Sandbox::new();
    writer(&sb, "services/fast", true);
    sb.service("services/stubborn", "trap '' TERM\nexec sleep 1000");
    sb.service("services/plain", "exec sleep 1000");
    let pid = svscan(&sb, &["-g", "1"]);
    let mut procs = vec![
        sb.wait_up("services/fast", 0),
        sb.wait_up("services/fast/log", 0),
        sb.wait_up("services/stubborn", 0),
        sb.wait_up("services/plain", 0),
    ];
    wait_for(5000, "lines in the log", || logged(&sb, "services/fast", 2000));
    procs.extend(children(pid));
    assert_eq!(procs.len(), 8, "4 supervise and their children: {procs:?}");

    let t = std::time::Instant::now();
    signal(pid, libc::SIGTERM);
    let status = sb.wait_exit(pid, 10_000);
    let took = t.elapsed();
    assert_eq!(status.code(), Some(0));
    // The stubborn service holds on until KILL after the 1 s grace.
    assert!(took.as_millis() >= 1000 && took.as_millis() < 3500, "took {took:?}");
    for p in procs {
        wait_for(1000, "every process to be gone", || !alive(p));
    }
    check_complete(&sb, "services/fast");
}

#[test]
fn int_shuts_down_too_and_bad_usage_exits_100() {
    let sb = Sandbox::new();
    sb.service("services/plain", "exec sleep 1000");
    let pid = svscan(&sb, &[]);
    let service = sb.wait_up("services/plain", 0);
    signal(pid, libc::SIGINT);
    assert_eq!(sb.wait_exit(pid, 5000).code(), Some(0));
    assert!(!alive(service));
    for args in [&["-x"][..], &["a", "b"]] {
        sb.run(bin("svscan"), args)
            .code(100)
            .stderr_is("svscan: usage: svscan [ -g grace ] [ dir [ -- command [ arg ... ] ] ]\n");
    }
    // A bad grace period is named before the usage.
    let o = sb.run(bin("svscan"), &["-g", "soon", "services"]);
    o.code(100);
    assert_eq!(
        stderr(&o),
        "svscan: fatal: bad grace period soon: not seconds (5, 0.5) or a duration (300ms) of at most a day\n\
         svscan: usage: svscan [ -g grace ] [ dir [ -- command [ arg ... ] ] ]\n"
    );
}

#[test]
fn ten_thousand_services_with_few_descriptors() {
    let sb = Sandbox::new();
    let total = 10_000;
    // One run script, hard-linked into every service.
    write_script(&sb.join("run"), "exec sleep 1000");
    for i in 0..total {
        let dir = sb.join(format!("services/s{i}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("down"), "").unwrap();
        fs::hard_link(sb.join("run"), dir.join("run")).unwrap();
        // 600 logged services need 1,200 pipe ends: more than a soft limit of 1,024.
        if i < 600 {
            fs::create_dir(dir.join("log")).unwrap();
            fs::hard_link(sb.join("run"), dir.join("log/run")).unwrap();
            fs::write(dir.join("log/down"), "").unwrap();
        }
    }
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            // The common default: a soft limit of 1,024 under a higher hard one.
            let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
            lim.rlim_cur = 1024;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let pid = sb.spawn(cmd, "svscan");
    let dirs: Vec<_> = (0..total)
        .map(|i| format!("services/s{i}"))
        .chain((0..600).map(|i| format!("services/s{i}/log")))
        .map(|d| sb.join(d).join("supervise/ok"))
        .collect();
    let mut ready = 0;
    wait_for(120_000, "every supervise", || {
        while ready < dirs.len() && dirs[ready].exists() {
            ready += 1;
        }
        ready == dirs.len()
    });
    assert_eq!(children(pid).len(), total + 600);
    assert_eq!(sb.stderr_of("svscan"), "");
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 60_000).code(), Some(0));
}

#[test]
fn as_pid_1_it_reaps_orphans_and_term_stops_everything_with_logs_intact() {
    let sb = Sandbox::new();
    let Some(mut cmd) = in_pid_namespace(&sb) else { return };
    writer(&sb, "services/fast", false);
    // Orphans: five that exit soon, one that ignores TERM, one that notes it.
    let orphans = "for i in 1 2 3 4 5; do ( (sleep 0.2; echo x >> ../../exited) & ); done\n\
                   ( (trap '' TERM; exec sleep 1000) & )\n\
                   ( (trap 'echo term > ../../noted; exit 0' TERM; while :; do sleep 0.05; done) & )\n\
                   exec sleep 1000";
    sb.service("services/orphans", orphans);
    cmd.arg(bin("svscan")).args(["-g", "1", "services"]);
    let unshare = sb.spawn(cmd, "svscan");
    let mut init = 0;
    wait_for(5000, "svscan as PID 1", || {
        init = children(unshare).first().copied().unwrap_or(0);
        init != 0
            && fs::read_to_string(format!("/proc/{init}/status")).is_ok_and(|s| {
                s.contains("NSpid:\t") && s.lines().any(|l| l.starts_with("NSpid:") && l.ends_with("\t1"))
            })
    });
    wait_for(5000, "the orphans to exit", || lines(&sb.join("exited")).len() == 5);
    // They were reparented to svscan, which reaps them: no zombie stays.
    wait_for(2000, "no zombie under PID 1", || children(init).iter().all(|&p| proc_state(p) != "Z"));
    let stubborn = children(init)
        .into_iter()
        .filter(|&p| fs::read_to_string(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.starts_with("sleep")))
        .count();
    assert_eq!(stubborn, 1, "the TERM-ignoring orphan is a child of PID 1");
    wait_for(5000, "lines in the log", || logged(&sb, "services/fast", 2000));

    let t = std::time::Instant::now();
    signal(init, libc::SIGTERM);
    let status = sb.wait_exit(unshare, 10_000);
    assert_eq!(status.code(), Some(0), "svscan exits 0");
    assert!(t.elapsed().as_millis() < 4000, "within grace + 2 s: {:?}", t.elapsed());
    check_complete(&sb, "services/fast");
    assert!(sb.join("noted").exists(), "an orphan got TERM before the namespace ended");
}

/// The session of a process.
fn session(pid: u32) -> i32 {
    unsafe { libc::getsid(pid as i32) }
}

#[test]
fn hup_after_rm_rf_takes_the_service_down_then_its_logger_and_orphans_nothing() {
    let sb = Sandbox::new();
    sb.service("services/keep", "exec sleep 1000");
    let marker = sb.join("termed");
    let run = format!(
        "exec 2>&1\ntrap 'echo TERM >> {}; exit 0' TERM\nwhile :; do echo x; sleep 0.01; done",
        marker.display()
    );
    sb.service("services/web", &run);
    fs::create_dir(sb.join("services/web/log")).unwrap();
    write_script(&sb.join("services/web/log/run"), &format!("exec {} ./main", bin("multilog").display()));
    // A grace far beyond the deadline below: nothing may wait for the KILL.
    let pid = svscan(&sb, &["-g", "60"]);
    let keep = sb.wait_up("services/keep", 0);
    let web = sb.wait_up("services/web", 0);
    let logger = sb.wait_up("services/web/log", 0);
    wait_for(5000, "lines in the log", || sb.join("services/web/log/main/current").exists());
    let sups = children(pid);
    assert_eq!(sups.len(), 3);

    fs::remove_dir_all(sb.join("services/web")).unwrap();
    signal(pid, libc::SIGHUP);
    let t = std::time::Instant::now();
    wait_for(5000, "the service, its logger and their supervisors to be gone", || {
        !alive(web) && !alive(logger) && children(pid).len() == 1
    });
    eprintln!("gone {:?} after HUP", t.elapsed());
    // Stopped by TERM (svc -dx), not orphaned: nothing of web runs anywhere.
    assert_eq!(fs::read_to_string(&marker).unwrap_or_default(), "TERM\n");
    for p in sups.iter().copied().chain([web, logger]) {
        if p != children(pid)[0] {
            assert!(!alive(p), "{p} ({}) still runs", proc_state(p));
        }
    }
    assert!(alive(keep) && alive(pid));
    // Only the supervisors' warnings that their status can no longer be written.
    let err = sb.stderr_of("svscan");
    assert!(err.lines().all(|l| l.starts_with("supervise: warning: unable to open ")), "{err}");
}

#[test]
fn ctrl_c_reaches_svscan_alone_and_loses_no_line() {
    let sb = Sandbox::new();
    writer(&sb, "services/w", false);
    write_script(&sb.join("services/w/finish"), "echo finished $1 $2");
    // svscan leads its own process group, as a shell's foreground job does.
    let pid = svscan(&sb, &[]);
    let service = sb.wait_up("services/w", 0);
    sb.wait_up("services/w/log", 0);
    wait_for(5000, "lines in the log", || logged(&sb, "services/w", 2000));
    let sups = children(pid);
    assert_eq!(sups.len(), 2);
    for sup in &sups {
        assert_ne!(session(*sup), session(pid), "supervise {sup} shares svscan's session");
    }
    // The terminal's INT goes to the whole foreground process group.
    unsafe { libc::kill(-(pid as i32), libc::SIGINT) };
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
    assert!(!alive(service));
    let got = log_lines(&sb.join("services/w/log/main"));
    let (last, rest) = got.split_last().expect("a log");
    assert_eq!(last, "finished 0 0", "finish's output reached the log last");
    assert!(rest.last().is_some_and(|l| l.starts_with("last ")), "{:?}", rest.last());
    // Every numbered line, then `last N`: nothing lost.
    fs::write(sb.join("services/w/log/main/current"), rest.iter().map(|l| format!("{l}\n")).collect::<String>())
        .unwrap();
    for f in fs::read_dir(sb.join("services/w/log/main")).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with('@') {
            fs::remove_file(f.path()).unwrap();
        }
    }
    check_complete(&sb, "services/w");
}

#[test]
fn a_removed_service_that_ignores_term_is_killed_after_the_grace_not_orphaned() {
    let sb = Sandbox::new();
    sb.service("services/stub", "trap '' TERM\nexec sleep 1000");
    fs::create_dir(sb.join("services/stub/log")).unwrap();
    write_script(&sb.join("services/stub/log/run"), "exec cat > /dev/null");
    let pid = svscan(&sb, &["-g", "1"]);
    let stub = sb.wait_up("services/stub", 0);
    let logger = sb.wait_up("services/stub/log", 0);
    let sups = children(pid);
    fs::remove_dir_all(sb.join("services/stub")).unwrap();
    signal(pid, libc::SIGHUP);
    let t = std::time::Instant::now();
    wait_for(6000, "everything of stub to be gone", || {
        !alive(stub) && !alive(logger) && sups.iter().all(|&p| !alive(p))
    });
    // KILL after the 1 s grace, through the FIFO supervise still holds.
    assert!(t.elapsed() >= std::time::Duration::from_millis(900), "{:?}", t.elapsed());
    assert!(alive(pid));
}

#[test]
fn services_named_like_options_are_supervised() {
    let sb = Sandbox::new();
    for name in ["--help", "--version", "-d"] {
        sb.service(&format!("services/{name}"), "exec sleep 1000");
    }
    svscan(&sb, &[]);
    for name in ["--help", "--version", "-d"] {
        sb.wait_up(&format!("services/{name}"), 0);
    }
    assert_eq!(sb.stderr_of("svscan"), "");
    assert_eq!(fs::read_to_string(sb.join("svscan.out")).unwrap(), "", "a usage text went to svscan's output");
    // Only a lone --help is help: with more arguments it is a name.
    let o = sb.run(bin("svstat"), &["services/--help", "--help"]);
    assert!(stdout(&o).starts_with("services/--help: up (pid "), "{}", stdout(&o));
    o.stdout_has("--help: unable to chdir: file does not exist");
}

#[test]
fn a_second_svscan_leaves_the_first_ones_supervisors_alone() {
    // Two scanned directories link one service: the first svscan runs it;
    // the second neither takes it over nor stops it on its own TERM.
    let sb = Sandbox::new();
    sb.service("store/shared", "exec sleep 1000");
    fs::create_dir(sb.join("store/shared/log")).unwrap();
    write_script(&sb.join("store/shared/log/run"), "exec cat > /dev/null");
    for dir in ["one", "two"] {
        fs::create_dir(sb.join(dir)).unwrap();
        std::os::unix::fs::symlink(sb.join("store/shared"), sb.join(dir).join("shared")).unwrap();
    }
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("one");
    let first = sb.spawn(cmd, "svscan1");
    let service = sb.wait_up("store/shared", 0);
    let logger = sb.wait_up("store/shared/log", 0);
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("two");
    let second = sb.spawn(cmd, "svscan2");
    // A scan asked for and done: the shared service is seen, and left alone.
    signal_handled(second, libc::SIGALRM);
    assert!(children(second).is_empty(), "the second started a supervise of its own");
    signal(second, libc::SIGTERM);
    assert_eq!(sb.wait_exit(second, 10_000).code(), Some(0));
    assert!(alive(service) && alive(logger), "the second svscan stopped the first one's service");
    assert_eq!(children(first).len(), 2);
    assert_eq!(sb.stderr_of("svscan2"), "");
}

#[test]
fn a_moved_supervise_directory_is_still_reached_on_term() {
    // Letters go through the FIFO each supervise holds, wherever its
    // directory went: the logger is told x, not left for the grace period.
    let sb = Sandbox::new();
    writer(&sb, "services/w", false);
    let pid = svscan(&sb, &["-g", "60"]);
    sb.wait_up("services/w", 0);
    sb.wait_up("services/w/log", 0);
    wait_for(5000, "lines in the log", || logged(&sb, "services/w", 2000));
    fs::rename(sb.join("services/w/supervise"), sb.join("services/w/supervise.moved")).unwrap();
    fs::rename(sb.join("services/w/log/supervise"), sb.join("services/w/log/supervise.moved")).unwrap();
    let t = std::time::Instant::now();
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "took {:?}", t.elapsed());
    check_complete(&sb, "services/w");
}

/// The soft and hard limits on open files of `pid`, from /proc/PID/limits.
fn open_files_limit(pid: u32) -> (String, String) {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap_or_default();
    let f: Vec<&str> = line.split_whitespace().collect();
    (f.get(3).unwrap_or(&"").to_string(), f.get(4).unwrap_or(&"").to_string())
}

#[test]
fn svscan_gives_its_children_the_open_files_limit_it_was_given() {
    // svscan raises its own limit on open files (it holds two pipe ends per
    // logged service), and gives each supervise the one it was started
    // with, which the service and its logger inherit.
    let sb = Sandbox::new();
    sb.service("services/a", "exec sleep 1000");
    fs::create_dir(sb.join("services/a/log")).unwrap();
    write_script(&sb.join("services/a/log/run"), "exec sleep 1000");
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 1024, rlim_max: 4096 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let scanner = sb.spawn(cmd, "svscan");
    let service = sb.wait_up("services/a", 0);
    let logger = sb.wait_up("services/a/log", 0);
    let given = ("1024".to_string(), "4096".to_string());
    let own = open_files_limit(scanner);
    assert!(own.0.parse::<u64>().unwrap() >= 4096, "svscan raised its own soft limit: {own:?}");
    let supervisors = children(scanner);
    assert_eq!(supervisors.len(), 2, "{supervisors:?}");
    for pid in supervisors.iter().chain([&service, &logger]) {
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert_eq!(open_files_limit(*pid), given, "{} (pid {pid})", comm.trim());
    }
    assert_eq!(sb.stderr_of("svscan"), "");
}
