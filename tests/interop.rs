//! Interop both ways with live supervisors: daemontools' svc and svstat
//! against our supervise, and ours against daemontools' supervise.

mod common;

use common::*;
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
    let sb = Sandbox::new();
    // Ignores TERM, so that `up ... want down` can be seen.
    let dir = sb.service("s", "trap '' TERM\nexec sleep 1000");
    let sup = sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    assert!(svstat_agrees(&sb, "s").starts_with(&format!("s: up (pid {pid}) ")));
    assert_eq!(sb.run(real("svok"), &["s"]).status.code(), Some(0));

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
    assert_eq!(sb.run(real("svok"), &["s"]).status.code(), Some(100));
}

#[test]
fn our_svc_svstat_svok_drive_the_real_supervise() {
    let sb = Sandbox::new();
    sb.service("s", "exec sleep 1000");
    let sup = sb.supervise(&real("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    assert_eq!(sb.run(bin("svok"), &["s"]).status.code(), Some(0));
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
    assert_eq!(sb.run(bin("svok"), &["s"]).status.code(), Some(100));
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
