//! Interop both ways with live supervisors: daemontools' svc and svstat
//! against our supervise, and ours against daemontools' supervise.

use crate::common::*;
use daemontools::status::Want;
use std::fs;

/// Both svstats print the same line for `service` (retrying if a second ticks).
fn svstat_agrees(sb: &Sandbox, service: &str) -> String {
    let mut last = (String::new(), String::new());
    for _ in 0..3 {
        let ours = stdout(&sb.run(bin("svstat"), &[service]));
        let theirs = stdout(&sb.run(real("svstat"), &[service]));
        if ours == theirs {
            return ours;
        }
        last = (ours, theirs);
    }
    panic!("svstat differs: ours {:?}, daemontools' {:?}", last.0, last.1);
}

#[test]
fn real_svc_and_svstat_drive_our_supervise() {
    // Ignores TERM, so that `up ... want down` can be seen.
    let sb = Supervised::new("trap '' TERM\nexec sleep 1000");
    let (dir, sup, pid) = (sb.dir.clone(), sb.supervise, sb.pid);
    assert!(svstat_agrees(&sb, "s").starts_with(&format!("s: up (pid {pid}) ")));
    sb.run(real("svok"), &["s"]).code(0);

    sb.run(real("svc"), &["-p", "s"]);
    wait_for(2000, "paused", || sb.status("s").paused && proc_state(pid) == "T");
    assert!(svstat_agrees(&sb, "s").ends_with(" seconds, paused\n"));
    sb.run(real("svc"), &["-c", "s"]);
    wait_for(2000, "continued", || !sb.status("s").paused && proc_state(pid) != "T");

    // TERM is ignored by this service: it stays up, wanted down.
    sb.run(real("svc"), &["-d", "s"]);
    wait_for(2000, "want down", || sb.status("s").want == Want::Down);
    assert!(svstat_agrees(&sb, "s").ends_with(" seconds, want down\n"));
    sb.run(real("svc"), &["-k", "s"]);
    sb.wait_down("s");
    assert!(svstat_agrees(&sb, "s").starts_with("s: down "));

    fs::write(dir.join("down"), "").unwrap();
    assert!(svstat_agrees(&sb, "s").ends_with(" seconds\n"));
    sb.run(real("svc"), &["-o", "s"]);
    let once = sb.wait_up("s", pid);
    assert_eq!(sb.status("s").want, Want::Nothing);
    assert!(svstat_agrees(&sb, "s").ends_with(" seconds, normally down\n"));

    sb.run(real("svc"), &["-u", "s"]);
    wait_for(2000, "want up", || sb.status("s").want == Want::Up);
    sb.run(real("svc"), &["-dx", "s"]);
    sb.run(real("svc"), &["-k", "s"]);
    assert_eq!(sb.wait_exit(sup, 5000).code(), Some(0));
    assert!(!alive(once));
    assert_eq!(svstat_agrees(&sb, "s"), "s: supervise not running\n");
    sb.run(real("svok"), &["s"]).code(100);
}

#[test]
fn our_svc_svstat_svok_drive_the_real_supervise() {
    let sb = Sandbox::new();
    sb.service("s", "exec sleep 1000");
    let sup = sb.supervise(&real("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    sb.run(bin("svok"), &["s"]).code(0);
    assert!(svstat_agrees(&sb, "s").starts_with(&format!("s: up (pid {pid}) ")));

    // daemontools' supervise sleeps a second after each start before it reads control.
    sb.run(bin("svc"), &["-p", "s"]);
    wait_for(3000, "paused", || sb.status("s").paused && proc_state(pid) == "T");
    assert!(svstat_agrees(&sb, "s").ends_with(" seconds, paused\n"));
    sb.run(bin("svc"), &["-c", "s"]);
    wait_for(3000, "continued", || proc_state(pid) != "T");

    sb.run(bin("svc"), &["-d", "s"]);
    sb.wait_down("s");
    assert_eq!(sb.status("s").want, Want::Down);
    assert!(svstat_agrees(&sb, "s").starts_with("s: down "));
    sb.run(bin("svc"), &["-u", "s"]);
    let again = sb.wait_up("s", pid);

    sb.run(bin("svc"), &["-dx", "s"]);
    assert_eq!(sb.wait_exit(sup, 5000).code(), Some(0));
    assert!(!alive(again));
    sb.run(bin("svok"), &["s"]).code(100);
    assert_eq!(svstat_agrees(&sb, "s"), "s: supervise not running\n");
}

#[test]
fn our_codec_reads_the_real_supervise_status() {
    let sb = Sandbox::new();
    sb.service("s", "exec sleep 1000");
    sb.supervise(&real("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    let bytes = fs::read(sb.join("s/supervise/status")).unwrap();
    assert_eq!(bytes.len(), 18);
    let st = sb.status("s");
    assert_eq!((st.pid, st.paused, st.want), (pid, false, Want::Up));
    // daemontools' stamp: the start, within a few seconds of now, on its +10 epoch.
    let now = daemontools::tai64::now();
    assert!(now.0 .0 - st.stamp.0 .0 <= 5, "stamp {:?} vs now {:?}", st.stamp, now);
    // Our pack of the decoded status gives back daemontools' bytes.
    assert_eq!(&st.pack()[..], &bytes[..]);
}

#[test]
fn our_svscan_stops_daemontools_supervise_in_order_too() {
    // svscan takes `supervise` from beside itself first: a copy alone in a
    // directory, with PATH leading to daemontools', runs theirs, which dies
    // on SIGTERM (it would orphan its service) but obeys `dx` on its FIFO.
    let sb = Sandbox::new();
    let alone = sb.join("alone");
    fs::create_dir(&alone).unwrap();
    fs::copy(bin("svscan"), alone.join("svscan")).unwrap();
    sb.service("services/s", "exec 2>&1\ntrap 'echo stopped; exit 0' TERM\nwhile :; do sleep 0.01; done");
    fs::create_dir(sb.join("services/s/log")).unwrap();
    write_script(&sb.join("services/s/log/run"), "exec cat >> ../../../logged");
    let mut cmd = sb.command(alone.join("svscan"));
    cmd.arg("services");
    let pid = sb.spawn(cmd, "svscan");
    let service = sb.wait_up("services/s", 0);
    let logger = sb.wait_up("services/s/log", 0);
    let sups = children(pid);
    assert_eq!(sups.len(), 2);
    for sup in &sups {
        let exe = fs::read_link(format!("/proc/{sup}/exe")).unwrap();
        assert_eq!(exe, real("supervise"), "not daemontools' supervise");
    }
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
    for p in sups.iter().copied().chain([service, logger]) {
        assert!(!alive(p), "{p} left running");
    }
    assert_eq!(fs::read_to_string(sb.join("logged")).unwrap(), "stopped\n", "the service's last line was logged");
}

#[test]
fn status_byte_17_says_what_svc_u_d_o_asked_as_daemontools_svstat_reads_it() {
    // Byte 17 of supervise/status is what daemontools' svstat reads for
    // `want up` (shown while down) and `want down` (shown while up): `u`,
    // `d`, or 0 after svc -o, which shows nothing either way. Each state is
    // read three ways: the raw byte, daemontools' svstat and ours.
    let sb = Sandbox::new();
    // Ignores TERM (so that `up, want down` stays); its finish waits for
    // the test's word (so that `down, want up` stays).
    let dir = sb.service("s", "trap '' TERM\nexec sleep 1000");
    write_script(&dir.join("finish"), "while [ ! -e release ]; do sleep 0.01; done\nrm release");
    fs::write(dir.join("timeout-finish"), "60000\n").unwrap();
    fs::write(dir.join("down"), "").unwrap();
    let raw = || {
        let b = fs::read(dir.join("supervise/status")).unwrap();
        assert_eq!(b.len(), 18);
        (u32::from_le_bytes(b[12..16].try_into().unwrap()), b[17])
    };
    // Waits for the pid to be up (or 0) and byte 17 to be `want`, then
    // checks both svstats' line ends with `tail`.
    let check = |what: &str, up: bool, want: u8, tail: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut seen = raw();
        while (seen.0 != 0, seen.1) != (up, want) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
            seen = raw();
        }
        assert_eq!((seen.0 != 0, seen.1), (up, want), "{what}: (up, byte 17) of supervise/status");
        assert!(!up || alive(seen.0), "{what}: pid {} is not running", seen.0);
        let line = svstat_agrees(&sb, "s");
        let head = if up { format!("s: up (pid {}) ", raw().0) } else { "s: down ".to_string() };
        assert!(line.starts_with(&head) && line.ends_with(tail), "{what}: {line:?}, not {head}... {tail:?}");
        assert_eq!(raw().1, want, "{what}: byte 17 changed under svstat");
    };
    sb.supervise(&bin("supervise"), "s");
    check("down, as ./down says", false, b'd', " seconds\n");
    sb.run(bin("svc"), &["-o", "s"]);
    check("up once", true, 0, " seconds, normally down\n");
    sb.run(bin("svc"), &["-d", "s"]);
    check("up, wanted down (TERM ignored)", true, b'd', " seconds, normally down, want down\n");
    sb.run(bin("svc"), &["-u", "s"]);
    check("up, wanted up", true, b'u', " seconds, normally down\n");
    sb.run(bin("svc"), &["-k", "s"]);
    check("down in finish, wanted up", false, b'u', " seconds, want up\n");
    fs::write(dir.join("release"), "").unwrap();
    check("up again", true, b'u', " seconds, normally down\n");
    sb.run(bin("svc"), &["-o", "s"]);
    check("up, once", true, 0, " seconds, normally down\n");
    sb.run(bin("svc"), &["-k", "s"]);
    check("down in finish, once", false, 0, " seconds\n");
    fs::write(dir.join("release"), "").unwrap();
    wait_for(5000, "finish to end", || {
        fs::read_to_string(dir.join("supervise/info")).is_ok_and(|i| i.contains("\nfinishing 0\n"))
    });
    check("down after finish, once: not started again", false, 0, " seconds\n");
    sb.run(bin("svc"), &["-d", "s"]);
    check("down, wanted down", false, b'd', " seconds\n");
}
