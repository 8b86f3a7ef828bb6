//! What supervise does beyond daemontools, each switched on by a file in the
//! service directory, end to end with real processes, and daemontools'
//! behaviour when the file is absent.

use crate::common::*;
use daemontools::status::Want;
use std::fs;
use std::time::{Duration, Instant};

fn read(sb: &Sandbox, path: &str) -> String {
    fs::read_to_string(sb.join(path)).unwrap_or_default()
}

#[test]
fn finish_runs_with_the_exit_before_the_restart() {
    let sb = Sandbox::new();
    sb.service("web", "echo run >> log\nexec sleep 100\n");
    write_script(&sb.join("web/finish"), "echo \"finish $*\" >> log\n");
    sb.supervise(&bin("supervise"), "web");
    let first = sb.wait_up("web", 0);
    sb.run(bin("svc"), &["-t", "web"]);
    let second = sb.wait_up("web", first);
    assert_ne!(first, second);
    let expected = format!("run\nfinish 256 {} web\nrun\n", libc::SIGTERM);
    wait_for(3000, "the second run", || read(&sb, "web/log") == expected);
    // An exit code reaches finish as it is, with signal 0.
    fs::write(sb.join("web/timeout-finish"), "2000\n").unwrap();
    write_script(&sb.join("web/run"), "echo run >> log\nsleep 0.2\nexit 3\n");
    sb.run(bin("svc"), &["-t", "web"]);
    wait_for(5000, "finish 3 0", || read(&sb, "web/log").contains("finish 3 0 web\n"));
}

#[test]
fn finish_exiting_125_keeps_the_service_down() {
    let sb = Sandbox::new();
    sb.service("web", "exec sleep 100\n");
    write_script(&sb.join("web/finish"), "exit 125\n");
    sb.supervise(&bin("supervise"), "web");
    let pid = sb.wait_up("web", 0);
    sb.run(bin("svc"), &["-k", "web"]);
    sb.wait_down("web");
    std::thread::sleep(Duration::from_millis(1500));
    let s = sb.status("web");
    assert_eq!((s.pid, s.want), (0, Want::Down), "restarted after finish said 125 (old pid {pid})");
    let o = sb.run(bin("svstat"), &["web"]);
    // Unasked (after a kill, not `svc -d`), it failed for good, as s6 says of 125.
    assert!(
        stdout(&o).starts_with("web: down ") && stdout(&o).ends_with(" seconds, normally up, failed\n"),
        "{}",
        stdout(&o)
    );
    sb.run(bin("svc"), &["-u", "web"]).code(0);
    sb.wait_up("web", pid);
    sb.run(bin("svc"), &["-d", "web"]).code(0);
    sb.wait_down("web");
    let o = sb.run(bin("svstat"), &["web"]);
    assert!(stdout(&o).ends_with(" seconds, normally up\n"), "asked down: no failure: {}", stdout(&o));
}

#[test]
fn a_finish_past_timeout_finish_is_killed() {
    let sb = Sandbox::new();
    sb.service("web", "exec sleep 100\n");
    write_script(&sb.join("web/finish"), "echo $$ > finish.pid\nexec sleep 100\n");
    fs::write(sb.join("web/timeout-finish"), "300\n").unwrap();
    sb.supervise(&bin("supervise"), "web");
    let first = sb.wait_up("web", 0);
    let t = Instant::now();
    sb.run(bin("svc"), &["-t", "web"]);
    sb.wait_up("web", first);
    let finish: u32 = read(&sb, "web/finish.pid").trim().parse().unwrap();
    assert!(!alive(finish), "finish still runs");
    assert!(t.elapsed() >= Duration::from_millis(300), "restarted before timeout-finish");
    assert!(t.elapsed() < Duration::from_millis(3000));
}

#[test]
fn down_signal_and_timeout_kill() {
    // Ignores TERM; says so when it gets INT.
    let sb =
        Supervised::named("web", "trap 'echo INT >> log; exit 0' INT\ntrap '' TERM\nwhile :; do sleep 0.05; done\n");
    // Without down-signal and timeout-kill: daemontools' TERM, ignored, and the service stays up.
    wait_trapped(sb.pid, libc::SIGTERM);
    sb.run(bin("svc"), &["-d", "web"]);
    std::thread::sleep(Duration::from_millis(800));
    assert_ne!(sb.status("web").pid, 0, "stopped without the files: not daemontools' behaviour");
    sb.run(bin("svc"), &["-u", "web"]);
    fs::write(sb.join("web/down-signal"), "SIGINT\n").unwrap();
    wait_trapped(sb.pid, libc::SIGINT);
    sb.run(bin("svc"), &["-d", "web"]);
    sb.wait_down("web");
    assert_eq!(read(&sb, "web/log"), "INT\n");
    // timeout-kill: a service that ignores its down signal is killed.
    fs::write(sb.join("web/down-signal"), "TERM\n").unwrap();
    fs::write(sb.join("web/timeout-kill"), "300\n").unwrap();
    sb.run(bin("svc"), &["-u", "web"]);
    wait_trapped(sb.wait_up("web", 0), libc::SIGTERM);
    let t = Instant::now();
    sb.run(bin("svc"), &["-d", "web"]);
    sb.wait_down("web");
    assert!(t.elapsed() >= Duration::from_millis(250), "down before timeout-kill: {:?}", t.elapsed());
    // svc -du: the pending kill survives the u, so it restarts all the same.
    sb.run(bin("svc"), &["-u", "web"]);
    let pid = sb.wait_up("web", 0);
    sb.run(bin("svc"), &["-du", "web"]);
    let again = sb.wait_up_within("web", pid, 3000);
    assert!(!alive(pid) && again != pid);
}

#[test]
fn quit_usr1_usr2_letters() {
    let sb = Supervised::named(
        "web",
        "trap 'echo QUIT >> log' QUIT\ntrap 'echo USR1 >> log' USR1\ntrap 'echo USR2 >> log' USR2\n\
         echo ready > ready\nwhile :; do sleep 0.05; done\n",
    );
    wait_for(3000, "the traps", || sb.join("web/ready").exists());
    for (letter, name) in [("-q", "QUIT"), ("-1", "USR1"), ("-2", "USR2")] {
        sb.run(bin("svc"), &[letter, "web"]).code(0);
        wait_for(3000, name, || read(&sb, "web/log").lines().last() == Some(name));
    }
}

#[test]
fn info_sits_beside_an_unchanged_status() {
    let sb = Supervised::named("web", "exec sleep 100\n");
    let first = sb.pid;
    sb.run(bin("svc"), &["-k", "web"]);
    sb.wait_up("web", first);
    assert_eq!(fs::read(sb.join("web/supervise/status")).unwrap().len(), 18);
    let info = daemontools::supervise::Info::unpack(&fs::read(sb.join("web/supervise/info")).unwrap()).unwrap();
    assert_eq!(info.restarts, 1);
    assert_eq!(info.last_ending, Some(daemontools::supervise::Ending::Signal(libc::SIGKILL)));
    // daemontools' svstat reads our status as its own.
    let ours = stdout(&sb.run(bin("svstat"), &["web"]));
    let theirs = stdout(&sb.run(real("svstat"), &["web"]));
    assert_eq!(ours.split(')').next(), theirs.split(')').next());
}

#[test]
fn svstat_j_is_json_and_plain_svstat_is_unchanged() {
    let sb = Sandbox::new();
    sb.service("up", "exec sleep 100\n");
    sb.service("fin", "exec sleep 100\n");
    write_script(&sb.join("fin/finish"), "exec sleep 100\n");
    sb.service("idle", "exec sleep 100\n");
    fs::write(sb.join("idle/down"), "").unwrap();
    // Supervised once: `ok` is there with nobody reading it.
    fs::create_dir_all(sb.join("dead/supervise")).unwrap();
    mkfifo(&sb.join("dead/supervise/ok"));
    for s in ["up", "fin", "idle"] {
        sb.supervise(&bin("supervise"), s);
    }
    let first = sb.wait_up("up", 0);
    sb.run(bin("svc"), &["-k", "up"]);
    let second = sb.wait_up("up", first);
    let fin = sb.wait_up("fin", 0);
    sb.run(bin("svc"), &["-d", "fin"]);
    sb.wait_down("fin");
    let plain = stdout(&sb.run(bin("svstat"), &["up", "fin", "idle", "dead", "nonexistent"]));
    let theirs = stdout(&sb.run(real("svstat"), &["up", "fin", "idle", "dead", "nonexistent"]));
    // The seconds may straddle a tick between the two runs.
    let mask = |text: &str| -> String {
        text.split(" seconds")
            .map(|part| part.trim_end_matches(|c: char| c.is_ascii_digit()))
            .collect::<Vec<_>>()
            .join("N seconds")
    };
    assert_eq!(mask(&plain), mask(&theirs), "plain svstat must stay daemontools'");
    let o = sb.run(bin("svstat"), &["-j", "up", "fin", "idle", "dead", "nonexistent"]);
    let rows: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect();
    assert_eq!(rows.len(), 5);
    let fields = [
        "dir",
        "state",
        "pid",
        "seconds",
        "want",
        "paused",
        "normally",
        "ready",
        "ready_seconds",
        "last_exit_code",
        "last_signal",
        "restarts",
        "backoff_seconds",
        "failed",
        "error",
    ];
    for row in &rows {
        for f in fields {
            assert!(row.get(f).is_some(), "{f} missing in {row}");
        }
    }
    let (up, finishing, idle, dead, missing) = (&rows[0], &rows[1], &rows[2], &rows[3], &rows[4]);
    assert_eq!(
        (up["dir"].as_str(), up["state"].as_str(), up["pid"].as_u64()),
        (Some("up"), Some("up"), Some(second as u64))
    );
    assert_eq!(
        (up["want"].as_str(), up["normally"].as_str(), up["restarts"].as_u64()),
        (Some("up"), Some("up"), Some(1))
    );
    assert_eq!((up["last_signal"].as_i64(), up["last_exit_code"].as_i64()), (Some(libc::SIGKILL as i64), None));
    assert_eq!(
        (finishing["state"].as_str(), finishing["pid"].as_u64()),
        (Some("finishing"), None),
        "{finishing} (was {fin})"
    );
    assert_eq!(
        (finishing["want"].as_str(), finishing["last_signal"].as_i64()),
        (Some("down"), Some(libc::SIGTERM as i64))
    );
    assert_eq!((idle["state"].as_str(), idle["normally"].as_str()), (Some("down"), Some("down")));
    assert_eq!((dead["state"].as_str(), dead["error"].as_str()), (Some("not running"), None));
    assert_eq!(missing["state"].as_str(), Some("error"));
    assert_eq!(missing["error"].as_str(), Some("unable to chdir: file does not exist"));
}

#[test]
fn restart_backoff_and_limit() {
    let sb = Sandbox::new();
    // Back-off: a service dying at once restarts after 1, then 2 seconds.
    sb.service("crash", "date +%s.%N >> starts\nexit 1\n");
    fs::write(sb.join("crash/restart-backoff-max"), "8\n").unwrap();
    sb.supervise(&bin("supervise"), "crash");
    let starts = |sb: &Sandbox| -> Vec<f64> { read(sb, "crash/starts").lines().map(|l| l.parse().unwrap()).collect() };
    wait_for(6000, "three starts", || starts(&sb).len() >= 3);
    let s = starts(&sb);
    let (gap1, gap2) = (s[1] - s[0], s[2] - s[1]);
    assert!((0.9..1.9).contains(&gap1) && (1.9..3.5).contains(&gap2), "waits {gap1:.2} s then {gap2:.2} s");
    // Once the third run has exited (it may still be between its write and
    // its exit), the next wait is 4 seconds.
    wait_for(3000, "a back-off of 4 s", || {
        let row = sb.svstat_json("crash");
        row["backoff_seconds"].as_u64().unwrap() >= 4
    });
    // svc works at all times: down at once, not after the wait.
    sb.run(bin("svc"), &["-d", "crash"]);
    let n = starts(&sb).len();
    std::thread::sleep(Duration::from_millis(4500));
    assert_eq!(starts(&sb).len(), n, "started while wanted down");

    // Limit: after 3 deaths within 60 s it stays down and svstat says failed.
    sb.service("limited", "exit 1\n");
    fs::write(sb.join("limited/restart-limit"), "3 60\n").unwrap();
    sb.supervise(&bin("supervise"), "limited");
    wait_for(6000, "failed", || {
        stdout(&sb.run(bin("svstat"), &["limited"])).ends_with(" seconds, normally up, failed\n")
    });
    assert_eq!(sb.status("limited").want, Want::Down);
    let info = daemontools::supervise::Info::unpack(&fs::read(sb.join("limited/supervise/info")).unwrap()).unwrap();
    assert_eq!((info.failed, info.restarts), (true, 2));
    // Without the files: daemontools' one second, and never failed.
    sb.service("plain", "date +%s.%N >> starts\nexit 1\n");
    sb.supervise(&bin("supervise"), "plain");
    wait_for(5000, "three plain starts", || read(&sb, "plain/starts").lines().count() >= 3);
    let s: Vec<f64> = read(&sb, "plain/starts").lines().map(|l| l.parse().unwrap()).collect();
    assert!((0.9..1.9).contains(&(s[2] - s[1])), "daemontools spacing: {:.2} s", s[2] - s[1]);
    assert!(!stdout(&sb.run(bin("svstat"), &["plain"])).contains("failed"));
}

#[test]
fn readiness_through_notification_fd() {
    let sb = Sandbox::new();
    // Ready once it has written its file; says so on fd 5.
    sb.service("web", "sleep 0.3\necho prepared > prepared\necho >&5\nexec sleep 100\n");
    fs::write(sb.join("web/notification-fd"), "5\n").unwrap();
    sb.service("plain", "exec sleep 100\n");
    sb.supervise(&bin("supervise"), "web");
    sb.supervise(&bin("supervise"), "plain");
    sb.wait_up("web", 0);
    sb.wait_up("plain", 0);
    // Not ready before it says so (checked only while it surely has not: the file comes first).
    let (j, text) = (sb.svstat_json("web"), stdout(&sb.run(bin("svstat"), &["web"])));
    if !sb.join("web/prepared").exists() {
        assert_eq!(j["ready"], serde_json::Value::Bool(false));
        assert!(!text.contains("ready"), "{text}");
    }
    wait_for(3000, "ready", || sb.svstat_json("web")["ready"] == serde_json::Value::Bool(true));
    assert!(sb.join("web/prepared").exists(), "ready before the service said so");
    let text = stdout(&sb.run(bin("svstat"), &["web"]));
    let ready_tail = [" seconds, ready 0 seconds\n", " seconds, ready 1 seconds\n"];
    assert!(text.starts_with("web: up (pid ") && ready_tail.iter().any(|t| text.ends_with(t)), "{text}");
    // Without notification-fd: daemontools' line, and ready is null.
    let plain = stdout(&sb.run(bin("svstat"), &["plain"]));
    assert!(plain.ends_with(" seconds\n") && !plain.contains("ready"), "{plain}");
    assert_eq!(sb.svstat_json("plain")["ready"], serde_json::Value::Null);
    // A restart is not ready until it says so again.
    let pid = sb.status("web").pid;
    fs::remove_file(sb.join("web/prepared")).unwrap();
    sb.run(bin("svc"), &["-k", "web"]);
    sb.wait_up("web", pid);
    let j = sb.svstat_json("web");
    if !sb.join("web/prepared").exists() {
        assert_eq!(j["ready"], serde_json::Value::Bool(false), "{j}");
    }
    wait_for(3000, "ready again", || sb.svstat_json("web")["ready"] == serde_json::Value::Bool(true));
}

#[test]
fn svc_waits_woken_by_the_change() {
    let sb = Sandbox::new();
    // Takes 300 ms to stop after TERM; notes when it is about to exit.
    sb.service("web", "trap 'sleep 0.3; date +%s.%N > stopped; exit 0' TERM\nwhile :; do sleep 0.02; done\n");
    write_script(&sb.join("web/finish"), "sleep 0.3\n");
    sb.supervise(&bin("supervise"), "web");
    wait_trapped(sb.wait_up("web", 0), libc::SIGTERM);
    let since_epoch = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    // -wd: returns when the service is down, not before, and soon after.
    let o = sb.run(bin("svc"), &["-d", "-wd", "web"]);
    let returned = since_epoch();
    o.code(0);
    assert_eq!(sb.status("web").pid, 0);
    let stopped: f64 = read(&sb, "web/stopped").trim().parse().unwrap();
    let late = returned - stopped;
    eprintln!("svc -wd returned {:.1} ms after the service's last moment", late * 1000.0);
    assert!(late < 0.25, "svc -wd returned {late:.3} s after the change: polling, not woken");
    // Waiting costs no CPU: woken, not spinning (a service that takes 1 s to stop).
    sb.run(bin("svc"), &["-u", "-wu", "web"]);
    write_script(&sb.join("web/run"), "trap 'sleep 1; exit 0' TERM\nwhile :; do sleep 0.02; done\n");
    sb.run(bin("svc"), &["-t", "-wr", "web"]);
    wait_trapped(sb.status("web").pid, libc::SIGTERM);
    // Reaped by wait4 below, for its rusage, not by Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = sb.command(bin("svc")).args(["-d", "-wd", "-T", "10000", "web"]).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) }, child.id() as i32);
    let cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
        + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
    assert_eq!(libc::WEXITSTATUS(status), 0);
    assert!(cpu_ms < 200, "svc -wd used {cpu_ms} ms of CPU waiting a second");
    // -wD waits for finish too.
    sb.run(bin("svc"), &["-u", "-wu", "web"]);
    let t = Instant::now();
    sb.run(bin("svc"), &["-d", "-wD", "web"]).code(0);
    assert!(t.elapsed() >= Duration::from_millis(550), "returned before finish was done: {:?}", t.elapsed());
    // -wr: a new pid.
    sb.run(bin("svc"), &["-u", "-wU", "web"]).code(0);
    let pid = sb.status("web").pid;
    sb.run(bin("svc"), &["-k", "-wr", "web"]).code(0);
    let now = sb.status("web").pid;
    assert!(now != 0 && now != pid);
    // Timeout: 99 and the service named; usage: 100.
    sb.run(bin("svc"), &["-wd", "-T", "200", "web"]).code(99).stderr_is("svc: fatal: timed out waiting for web\n");
    sb.run(bin("svc"), &["-wz", "web"]).code(100);
    sb.run(bin("svc"), &["-T", "x", "web"]).code(100);
    // -dx -wD: service and supervise both gone.
    sb.run(bin("svc"), &["-dx", "-wD", "web"]).code(0);
    wait_for(2000, "supervise to exit", || !supervised(&sb, "web"));
    // Only a state seen is success: a missing directory or one where no
    // supervise ever ran satisfies no goal, down included.
    for goal in ["-wd", "-wD", "-wu"] {
        sb.run(bin("svc"), &[goal, "missing"]).code(111).stderr_is(
            "svc: warning: unable to chdir to missing: file does not exist\n\
                 svc: fatal: unable to wait for missing: file does not exist\n",
        );
    }
    // Where no supervise runs, svc waits for one to come (svscan starting
    // it), within -T (tests/svscanctl.rs: 10 s without), the letters kept
    // for it: nothing is said before.
    fs::create_dir(sb.join("never")).unwrap();
    sb.run(bin("svc"), &["-u", "-wd", "-T", "300", "never"])
        .code(99)
        .stderr_is("svc: fatal: timed out waiting for never\n");
    // Waiting for up where the supervise exited.
    sb.run(bin("svc"), &["-wu", "-T", "300", "web"]).code(99);
    // A supervise killed leaves a status saying up: -wd cannot get there either.
    let sup = sb.supervised("orphan", "exec sleep 100\n").supervise;
    signal(sup, libc::SIGKILL);
    wait_for(2000, "supervise gone", || !supervised(&sb, "orphan"));
    sb.run(bin("svc"), &["-wd", "-T", "300", "orphan"]).code(99);
    assert!(fs::read_dir(sb.join("web/supervise/event")).unwrap().next().is_none(), "a FIFO left behind");
}

/// How many times `pid` went to sleep of its own accord (each wake-up of a
/// process sleeping in poll ends in one more when it sleeps again).
fn sleeps(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("voluntary_ctxt_switches:")).map_or(0, |n| n.trim().parse().unwrap())
}

/// Whether `pid` is asleep in poll(2).
fn in_poll(pid: u32) -> bool {
    let call = fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    let nr: i64 = call.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(-1);
    nr == libc::SYS_poll || nr == libc::SYS_ppoll
}

#[test]
fn svc_w_sleeps_until_supervise_wakes_it() {
    // svc -w is woken by supervise through its FIFO in supervise/event/, and
    // looks by itself only once a second (for daemontools' supervise, which
    // tells nothing). Both halves are counted, not timed against a bound
    // that a loaded machine could break: while nothing changes, svc wakes
    // about once a second (an svc polling every 200 ms wakes 5 times as
    // often); and a change made just after one of its wake-ups ends its
    // wait before the next one is due (an svc that only polls sleeps on).
    let sb = Sandbox::new();
    sb.service("web", "exec sleep 1000\n");
    sb.supervise(&bin("supervise"), "web");
    let fifos = || fs::read_dir(sb.join("web/supervise/event")).map_or(0, |d| d.count());
    let mut tries = 0;
    loop {
        tries += 1;
        sb.run(bin("svc"), &["-u", "-wu", "web"]);
        // Wanted up and up: -wd waits for a change nothing makes.
        let mut waiter = sb.command(bin("svc")).args(["-wd", "-T", "30000", "web"]).spawn().unwrap();
        let pid = waiter.id();
        wait_for(5000, "svc -wd to wait in poll on its FIFO", || fifos() == 1 && in_poll(pid));
        let (before, t0) = (sleeps(pid), Instant::now());
        std::thread::sleep(Duration::from_millis(3000));
        let (wakeups, secs) = (sleeps(pid) - before, t0.elapsed().as_secs_f64());
        eprintln!("svc -wd woke {wakeups} times in {secs:.2} s with nothing changing");
        assert!(
            wakeups as f64 <= secs.ceil() + 1.0,
            "svc -wd woke {wakeups} times in {secs:.2} s: it polls more often than once a second"
        );
        // Just after a wake-up (svc back asleep: the next one is a second
        // away), the service is taken down through the control FIFO.
        let slept = sleeps(pid);
        let mut last_asleep = Instant::now();
        while sleeps(pid) == slept {
            last_asleep = Instant::now();
            assert!(last_asleep - t0 < Duration::from_secs(10), "svc -wd did not wake in 7 s");
            std::thread::sleep(Duration::from_millis(1));
        }
        let control = fs::OpenOptions::new().write(true).open(sb.join("web/supervise/control")).unwrap();
        std::io::Write::write_all(&mut &control, b"d").unwrap();
        let sent = Instant::now();
        // Polling alone, svc would see the change no sooner than a second
        // after it last fell asleep, which came after `last_asleep`.
        let due = last_asleep + Duration::from_secs(1);
        let code = finish_within(&mut waiter, 10_000, "svc -wd").code();
        let returned = Instant::now();
        assert_eq!(code, Some(0));
        eprintln!(
            "svc -wd returned {:.1} ms after the down letter, {:.1} ms after a wake-up",
            (returned - sent).as_secs_f64() * 1000.0,
            (returned - last_asleep).as_secs_f64() * 1000.0
        );
        if returned < due {
            break;
        }
        // Only a test too slow to act soon after the wake-up may try again.
        let late = sent - last_asleep;
        assert!(
            late > Duration::from_millis(300) && tries < 3,
            "svc -wd returned {:?} after the down letter, not before its next look a second after a wake-up: \
             polling, not woken",
            returned - sent
        );
    }
}

#[test]
fn svc_w_says_at_once_when_the_goal_is_out_of_reach() {
    let sb = Supervised::named("web", "exec sleep 1000\n");
    assert_eq!(sb.svstat_json("web")["want"].as_str(), Some("up"));
    sb.run(bin("svc"), &["-o", "web"]);
    wait_for(2000, "run-once mode", || sb.svstat_json("web")["want"].as_str() == Some("once"));
    // The case: a restart that will never come, since it runs once.
    let t = Instant::now();
    sb.run(bin("svc"), &["-t", "-wr", "-T", "8000", "web"])
        .code(111)
        .stderr_is("svc: fatal: unable to wait for web: it ran once (svc -o) and stays down\n");
    assert!(t.elapsed() < Duration::from_secs(4), "svc waited {:?}, not at once", t.elapsed());
    assert_eq!(sb.svstat_json("web")["state"].as_str(), Some("down"));
    // Wanted down: up, ready or restarted cannot come.
    for goal in ["-wu", "-wU", "-wr", "-wR"] {
        sb.run(bin("svc"), &["-d", goal, "-T", "8000", "web"])
            .code(111)
            .stderr_is("svc: fatal: unable to wait for web: it is wanted down\n");
    }
    // The letters sent with the wait are taken in before the state is judged:
    // `-o -wu` from wanted down, and `-u -wu`, start it and succeed, every time
    // (each waits out the second between starts).
    for _ in 0..5 {
        sb.run(bin("svc"), &["-d", "-wd", "web"]).code(0);
        sb.run(bin("svc"), &["-o", "-wu", "-T", "8000", "web"]).code(0).stderr_is("");
        sb.run(bin("svc"), &["-d", "-wd", "web"]).code(0);
        sb.run(bin("svc"), &["-u", "-wu", "-T", "8000", "web"]).code(0).stderr_is("");
    }
    // Down and finished need nothing from the service: never out of reach.
    sb.run(bin("svc"), &["-o", "-d", "-wD", "web"]).code(0);
    // restart-limit reached: the service stays down until svc -u.
    fs::write(sb.join("web/restart-limit"), "2 60\n").unwrap();
    write_script(&sb.join("web/run"), "exit 1");
    sb.run(bin("svc"), &["-u", "-wr", "-T", "8000", "web"]).code_in(&[0, 111]);
    wait_for(5000, "the restart limit", || sb.svstat_json("web")["failed"].as_bool() == Some(true));
    sb.run(bin("svc"), &["-wu", "-T", "8000", "web"])
        .code(111)
        .stderr_is("svc: fatal: unable to wait for web: it reached its restart limit and stays down\n");
}

#[test]
fn svc_names_a_bad_argument_and_lists_every_option() {
    let sb = Sandbox::new();
    for (args, first) in [
        (&["-w", "x", "web"][..], "svc: bad goal for -w: x (one of u U d D r R)"),
        (&["-wuu", "web"][..], "svc: bad goal for -w: uu (one of u U d D r R)"),
        (&["-T", "soon", "web"][..], "svc: bad time for -T: soon (milliseconds)"),
        (&["-z", "web"][..], "svc: illegal option -- z"),
        (&["-d", "-w"][..], "svc: option requires an argument -- w"),
    ] {
        let o = sb.run(bin("svc"), args);
        o.code(100);
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert_eq!(lines[0], first);
        // daemontools' list first, unchanged, then ours.
        assert_eq!(lines[1], "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill");
        assert!(lines[2].starts_with("svc options beyond daemontools: "), "{err}");
        for ours in ["q quit", "1 usr1", "2 usr2", "w u|U|d|D|r|R", "T ms"] {
            assert!(lines[2].contains(ours), "{ours} missing: {err}");
        }
    }
}

fn supervised(sb: &Sandbox, dir: &str) -> bool {
    let ok = std::ffi::CString::new(sb.join(dir).join("supervise/ok").to_str().unwrap()).unwrap();
    daemontools::sys::open_write(&ok).is_ok()
}
