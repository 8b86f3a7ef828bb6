//! Dependencies (issue 22, part 1): `needs/` in a service directory makes
//! each start wait until the needed services are up and ready, woken
//! through their event FIFOs; `needs-timeout` bounds the wait; svstat
//! tells what a start waits for; svscan's shutdown stops a service before
//! the services it needs, and says a cycle once.

use crate::common::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

/// `dir/needs/NAME` -> `target` (relative to `dir/needs/`).
fn need(sb: &Sandbox, dir: &str, name: &str, target: &str) {
    fs::create_dir_all(sb.join(dir).join("needs")).unwrap();
    symlink(target, sb.join(dir).join("needs").join(name)).unwrap();
}

/// svscan on `services` in the sandbox, its grace `grace`.
fn svscan(sb: &Sandbox, grace: &str) -> u32 {
    let mut cmd = sb.command(bin("svscan"));
    cmd.args(["-g", grace, "services"]);
    sb.spawn(cmd, "svscan")
}

/// A nanosecond stamp a script wrote (`date +%s%N`).
fn stamp(sb: &Sandbox, file: &str) -> Option<u128> {
    fs::read_to_string(sb.join(file)).ok()?.trim().parse().ok()
}

#[test]
fn an_app_that_needs_a_db_starts_within_200_ms_of_its_readiness_and_never_before() {
    let sb = Sandbox::new();
    // The db is up at once, ready 600 ms later (notification-fd), stamped just before.
    sb.service("services/db", "sleep 0.6\ndate +%s%N > ../../db.ready\necho >&3\nexec sleep 1000");
    fs::write(sb.join("services/db/notification-fd"), "3\n").unwrap();
    sb.service("services/app", "date +%s%N >> ../../app.started\nexec sleep 1000");
    need(&sb, "services/app", "db", "../../db");
    svscan(&sb, "1");
    sb.wait_up("services/db", 0);
    // Up but not ready: the app waits, and says so.
    wait_for(3000, "the app to say it waits", || {
        sb.svstat_json("services/app")["waiting_for"] == serde_json::json!(["db"])
    });
    let plain = stdout(&sb.run(bin("svstat"), &["services/app"]));
    assert!(plain.ends_with(", normally up, want up, waiting for db\n"), "{plain}");
    let app = sb.wait_up_within("services/app", 0, 5000);
    // Its pid is up before its script has written its stamp.
    wait_for(3000, "the app's stamp", || stamp(&sb, "app.started").is_some());
    let ready = stamp(&sb, "db.ready").expect("the db said it was ready");
    let started = fs::read_to_string(sb.join("app.started")).unwrap();
    assert_eq!(started.lines().count(), 1, "one start: {started}");
    let started: u128 = started.trim().parse().unwrap();
    assert!(started >= ready, "the app started {} ms before the db was ready", (ready - started) / 1_000_000);
    let after = Duration::from_nanos((started - ready) as u64);
    eprintln!("the app started {after:?} after the db's readiness");
    assert!(after < Duration::from_millis(200), "the app started {after:?} after the db's readiness");
    // Up: no more waiting_for.
    assert_eq!(sb.svstat_json("services/app")["waiting_for"], serde_json::Value::Null);
    assert!(alive(app));
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn term_stops_the_app_before_the_db() {
    let sb = Sandbox::new();
    // Each says when it got TERM and when it went; the app takes 300 ms to go.
    let script = |name: &str, linger: &str| {
        format!(
            "trap 'date +%s%N > ../../{name}.term; sleep {linger}; date +%s%N > ../../{name}.gone; exit 0' TERM\n\
             while :; do sleep 0.05 & wait; done"
        )
    };
    sb.service("services/db", &script("db", "0"));
    sb.service("services/app", &script("app", "0.3"));
    need(&sb, "services/app", "db", "../../db");
    let pid = svscan(&sb, "5");
    wait_trapped(sb.wait_up("services/db", 0), libc::SIGTERM);
    wait_trapped(sb.wait_up("services/app", 0), libc::SIGTERM);
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
    let (app_gone, db_term) = (stamp(&sb, "app.gone").unwrap(), stamp(&sb, "db.term").unwrap());
    assert!(db_term >= app_gone, "the db got TERM {} ms before the app was gone", (app_gone - db_term) / 1_000_000);
    let gap = Duration::from_nanos((db_term - app_gone) as u64);
    assert!(gap < Duration::from_millis(1000), "the db waited {gap:?} after the app was down");
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn a_cycle_is_said_once_and_both_still_start() {
    let sb = Sandbox::new();
    sb.service("services/a", "exec sleep 1000");
    sb.service("services/b", "exec sleep 1000");
    need(&sb, "services/a", "b", "../../b");
    need(&sb, "services/b", "a", "../../a");
    let pid = svscan(&sb, "1");
    let t = Instant::now();
    sb.wait_up_within("services/a", 0, 8000);
    sb.wait_up_within("services/b", 0, 8000);
    eprintln!("both of a cycle up after {:?}", t.elapsed());
    let err = sb.stderr_of("svscan");
    assert_eq!(
        err,
        "svscan: warning: needs/ make a cycle: a -> b -> a: broken at b -> a \
         (b starts without waiting for a, which stops without waiting for b)\n"
    );
    // Said once, even after a rescan.
    sb.run(bin("svscanctl"), &["-a", "services"]).code(0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.stderr_of("svscan"), err);
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
}

#[test]
fn a_need_that_never_comes_leaves_the_app_waiting_and_svc_d_acts_at_once() {
    let sb = Sandbox::new();
    sb.service("app", "date +%s%N >> started\nexec sleep 1000");
    sb.service("idle", "exec sleep 1000");
    need(&sb, "app", "ghost", "../../ghost");
    need(&sb, "app", "idle", "../../idle");
    sb.supervise(&bin("supervise"), "app");
    wait_for(3000, "the wait said", || sb.svstat_json("app")["waiting_for"] == serde_json::json!(["ghost", "idle"]));
    let j = sb.svstat_json("app");
    assert_eq!((j["state"].as_str(), j["want"].as_str()), (Some("down"), Some("up")), "{j}");
    assert_eq!(
        stdout(&sb.run(bin("svstat"), &["app"])).split_once(", ").unwrap().1,
        "normally up, want up, waiting for ghost idle\n"
    );
    assert_eq!(sb.stderr_of("supervise-app"), "supervise: warning: app/needs/ghost: dangling symlink: waited for\n");
    // One comes: no longer named.
    sb.supervise(&bin("supervise"), "idle");
    wait_for(2000, "idle no longer waited for", || {
        sb.svstat_json("app")["waiting_for"] == serde_json::json!(["ghost"])
    });
    // The ghost is made, never supervised: still waited for.
    fs::create_dir(sb.join("ghost")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.svstat_json("app")["waiting_for"], serde_json::json!(["ghost"]));
    assert!(!sb.join("app/started").exists(), "never started");
    // svc -d acts at once.
    let t = Instant::now();
    sb.run(bin("svc"), &["-d", "app"]).code(0);
    wait_for(1000, "the wait to end", || sb.svstat_json("app")["waiting_for"].is_null());
    let took = t.elapsed();
    assert!(took < Duration::from_millis(300), "svc -d took {took:?}");
    let j = sb.svstat_json("app");
    assert_eq!((j["state"].as_str(), j["want"].as_str()), (Some("down"), Some("down")), "{j}");
    assert!(stdout(&sb.run(bin("svstat"), &["app"])).ends_with(" seconds, normally up\n"), "{j}");
    // u waits again; x ends supervise at once, nothing runs.
    sb.run(bin("svc"), &["-u", "app"]).code(0);
    wait_for(1000, "the wait again", || !sb.svstat_json("app")["waiting_for"].is_null());
    sb.run(bin("svc"), &["-x", "app"]).code(0);
    wait_for(1000, "supervise to exit", || sb.svstat_json("app")["state"] == "not running");
    assert!(!sb.join("app/started").exists());
    // Its FIFOs in the needed services' event/ went with it.
    assert_eq!(fs::read_dir(sb.join("idle/supervise/event")).unwrap().count(), 0);
}

#[test]
fn needs_timeout_is_a_failed_start_with_back_off_and_the_wait_begins_again() {
    let sb = Sandbox::new();
    sb.service("app", "date +%s%N >> started\nexec sleep 1000");
    need(&sb, "app", "ghost", "../../ghost");
    fs::write(sb.join("app/needs-timeout"), "200\n").unwrap();
    fs::write(sb.join("app/restart-backoff-max"), "60\n").unwrap();
    let t = Instant::now();
    sb.supervise(&bin("supervise"), "app");
    // The first wait times out at 200 ms: down a second, the back-off doubled.
    wait_for(2000, "the first timeout", || sb.svstat_json("app")["backoff_seconds"] == 2);
    let first = t.elapsed();
    assert!(first >= Duration::from_millis(190), "timed out after {first:?}");
    let j = sb.svstat_json("app");
    assert!(j["waiting_for"].is_null(), "between two waits: {j}");
    // Then it waits again, and times out again.
    wait_for(3000, "the wait again", || !sb.svstat_json("app")["waiting_for"].is_null());
    let again = t.elapsed();
    assert!(again >= Duration::from_millis(1100), "waited again after {again:?}, before the second of back-off");
    wait_for(3000, "the second timeout", || sb.svstat_json("app")["backoff_seconds"] == 4);
    assert!(!sb.join("app/started").exists());
    // The need met: started at its next wait.
    sb.service("ghost", "exec sleep 1000");
    sb.supervise(&bin("supervise"), "ghost");
    sb.wait_up_within("app", 0, 6000);
    assert_eq!(sb.svstat_json("app")["restarts"], 0, "the timeouts were no starts");
}

#[test]
fn bad_needs_are_said_and_without_needs_the_info_is_as_before() {
    let sb = Sandbox::new();
    // needs that is a file: ignored, started at once.
    sb.service("plain", "exec sleep 1000");
    fs::write(sb.join("plain/needs"), "db\n").unwrap();
    fs::write(sb.join("plain/needs-timeout"), "soon\n").unwrap();
    sb.supervise(&bin("supervise"), "plain");
    sb.wait_up("plain", 0);
    let err = sb.stderr_of("supervise-plain");
    assert!(err.starts_with("supervise: warning: plain/needs: not a directory: ignored\n"), "{err}");
    let info = fs::read_to_string(sb.join("plain/supervise/info")).unwrap();
    assert!(!info.contains("waiting_for"), "{info}");
    // An entry that is not a symlink is said and skipped; needs-timeout not a number said too.
    sb.service("db", "exec sleep 1000");
    sb.service("app", "exec sleep 1000");
    need(&sb, "app", "db", "../../db");
    fs::create_dir(sb.join("app/needs/junk")).unwrap();
    fs::write(sb.join("app/needs-timeout"), "soon\n").unwrap();
    sb.supervise(&bin("supervise"), "app");
    wait_for(3000, "the wait said", || sb.svstat_json("app")["waiting_for"] == serde_json::json!(["db"]));
    let err = sb.stderr_of("supervise-app");
    assert!(err.contains("supervise: warning: invalid app/needs-timeout: default used\n"), "{err}");
    assert!(err.contains("supervise: warning: app/needs/junk: not a symlink: ignored\n"), "{err}");
    sb.supervise(&bin("supervise"), "db");
    sb.wait_up("app", 0);
    // Up, its info has no waiting_for line.
    let info = fs::read_to_string(sb.join("app/supervise/info")).unwrap();
    assert!(!info.contains("waiting_for"), "{info}");
    // A service that needs itself is a cycle of one: broken, started.
    sb.service("me", "exec sleep 1000");
    need(&sb, "me", "me", "..");
    sb.supervise(&bin("supervise"), "me");
    sb.wait_up_within("me", 0, 5000);
}
