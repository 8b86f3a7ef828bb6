//! svscan's daemontools behaviour: a supervise per service directory, a
//! logger joined by a pipe svscan holds open, restarts at the next scan.

mod common;

use common::*;
use std::fs;

fn lines(path: &std::path::Path) -> Vec<String> {
    fs::read_to_string(path).unwrap_or_default().lines().map(String::from).collect()
}

#[test]
fn starts_services_and_loggers_and_keeps_the_pipe() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    // A service that writes a numbered line every 20 ms, and a logger that
    // appends what it reads to a file outside the service.
    let counter = "i=0\nwhile :; do i=$((i+1)); echo line $i; sleep 0.02; done";
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
    let logger = sb.wait_up("services/a/log", 0);
    let logged = sb.join("logged");
    wait_for(5000, "lines in the log", || lines(&logged).len() >= 5);
    assert!(!sb.join("services/.hidden/supervise").exists(), "dot entries are skipped");
    assert_eq!(sb.stderr_of("svscan"), "", "a plain file is skipped silently");

    // Kill the logger: its supervise restarts it on the same pipe, and
    // the numbering shows no line was lost.
    signal(logger, libc::SIGKILL);
    sb.wait_up("services/a/log", logger);
    let seen = lines(&logged).len();
    wait_for(5000, "more lines", || lines(&logged).len() >= seen + 5);
    let got = lines(&logged);
    for (i, line) in got.iter().enumerate() {
        assert_eq!(line, &format!("line {}", i + 1), "a line was lost or reordered");
    }

    // Kill a supervise: the next scan (within 5 s) starts a new one, which
    // finds the service's old process gone.
    let sup = fs::read_to_string(format!("/proc/{svscan}/task/{svscan}/children")).unwrap();
    let sups: Vec<u32> = sup.split_whitespace().map(|p| p.parse().unwrap()).collect();
    assert_eq!(sups.len(), 3, "one supervise per service and one for the log: {sups:?}");
    let plain_sup =
        *sups.iter().find(|p| fs::read_link(format!("/proc/{p}/cwd")).unwrap().ends_with("services/plain")).unwrap();
    let plain_pid = sb.status("services/plain").pid;
    signal(plain_sup, libc::SIGKILL);
    signal(plain_pid, libc::SIGKILL);
    wait_for(8000, "a new supervise", || {
        fs::read_to_string(format!("/proc/{svscan}/task/{svscan}/children"))
            .unwrap()
            .split_whitespace()
            .any(|p| p.parse::<u32>().is_ok_and(|p| !sups.contains(&p)))
    });
    sb.wait_up("services/plain", plain_pid);
    assert!(alive(svscan));
}

#[test]
fn a_broken_symlink_warns_and_a_missing_dir_is_fatal() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    std::os::unix::fs::symlink("/nonexistent", sb.join("services/broken")).unwrap();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    sb.spawn(cmd, "svscan");
    wait_for(3000, "the warning", || {
        sb.stderr_of("svscan") == "svscan: warning: unable to stat broken: file does not exist\n"
    });
    let o = sb.run(bin("svscan"), &["nope"]);
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(stderr(&o), "svscan: fatal: unable to chdir to nope: file does not exist\n");
}
