//! The README's quick start: svscan on `examples/service` brings the
//! examples up and their loggers write timestamped lines; the privilege and
//! readiness examples do what their comments say. Run on a copy, so the
//! source tree stays clean.

use crate::common::*;
use std::fs;
use std::path::Path;

/// Copies directories and regular files, leaving out what running the
/// example leaves behind (`supervise/` with its FIFOs, the log's `main/`).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (name, kind) = (entry.file_name(), entry.file_type().unwrap());
        if name == "supervise" || name == "main" {
            continue;
        }
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// svscan on a copy of `examples/service`, with our programs first in PATH.
fn start_examples(sb: &Sandbox) {
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service"), &sb.join("service"));
    let target = bin("svscan").parent().unwrap().to_path_buf();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("service").env("PATH", format!("{}:/usr/bin:/bin", target.display()));
    sb.spawn(cmd, "svscan");
}

/// Waits until `service/NAME/log/main/current` holds `text`; returns the log.
fn wait_log(sb: &Sandbox, name: &str, text: &str) -> String {
    let current = sb.join(format!("service/{name}/log/main/current"));
    wait_for(10_000, &format!("{text:?} in {name}'s log"), || {
        fs::read_to_string(&current).is_ok_and(|t| t.contains(text))
    });
    fs::read_to_string(&current).unwrap()
}

#[test]
fn the_quick_start_brings_the_example_up_with_its_log() {
    let sb = Sandbox::new();
    start_examples(&sb);
    sb.wait_up("service/hello", 0);
    sb.wait_up("service/hello/log", 0);
    let text = wait_log(&sb, "hello", "hello number 1 ");
    assert!(daemontools::tai64::parse_label(text.as_bytes()).is_some(), "{text}");
    let o = sb.run(bin("svstat"), &["service/hello", "service/hello/log"]);
    let out = stdout(&o);
    assert!(out.starts_with("service/hello: up (pid "), "{out}");
    assert!(out.contains("\nservice/hello/log: up (pid "), "{out}");
}

#[test]
fn the_dropped_example_runs_as_nobody_with_its_environment() {
    let sb = Sandbox::new();
    start_examples(&sb);
    let pid = sb.wait_up("service/dropped", 0);
    if unsafe { libc::geteuid() } != 0 {
        wait_log(&sb, "dropped", "not started as root");
        return;
    }
    let text = wait_log(&sb, "dropped", "hello from nobody, groups 65534\n");
    assert!(!text.contains("fatal"), "{text}");
    // The supervised pid is the service itself: every tool exec'd the next.
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("\nUid:\t65534\t65534\t65534\t65534\n"), "{status}");
    assert!(status.contains("\nGroups:\t65534 \n") || status.contains("\nGroups:\t65534\n"), "{status}");
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let data = limits.lines().find(|l| l.starts_with("Max data size")).unwrap().to_string();
    assert!(data.contains("64000000"), "{data}");
}

#[test]
fn the_ready_example_reports_readiness_and_runs_its_finish() {
    let sb = Sandbox::new();
    start_examples(&sb);
    // The service directory appears with the scan; wait for supervise's FIFO.
    wait_for(10_000, "supervise of ready", || sb.is_supervised("service/ready"));
    sb.run(bin("svc"), &["-u", "-wU", "-T", "10000", "service/ready"]).code(0);
    let out = stdout(&sb.run(bin("svstat"), &["service/ready"]));
    assert!(out.contains(", ready "), "{out}");
    wait_log(&sb, "ready", "ready\n");
    sb.run(bin("svc"), &["-t", "-wR", "-T", "10000", "service/ready"]).code(0);
    wait_log(&sb, "ready", "finish: run was killed by signal 15\n");
    let current = sb.join("service/ready/log/main/current");
    wait_for(10_000, "the restart's first line", || {
        fs::read_to_string(&current).is_ok_and(|t| t.matches("starting:").count() == 2)
    });
    let text = fs::read_to_string(&current).unwrap();
    assert!(text.find("finish:").unwrap() < text.rfind("starting:").unwrap(), "finish runs before the restart: {text}");
}

#[test]
fn the_checked_example_is_ready_at_its_first_check_and_restarted_once_it_hangs() {
    let sb = Sandbox::new();
    start_examples(&sb);
    wait_for(10_000, "supervise of checked", || sb.is_supervised("service/checked"));
    sb.run(bin("svc"), &["-wU", "-T", "10000", "service/checked"]).code(0);
    sb.run(bin("svok"), &["-U", "service/checked"]).code(0).stderr_is("");
    // Its loop wedges: no heartbeat, three failed checks 2 s apart, a new run.
    let pid = sb.status("service/checked").pid;
    signal(pid, libc::SIGSTOP);
    let new = sb.wait_up_within("service/checked", pid, 20_000);
    wait_log(&sb, "checked", &format!("check: no heartbeat from {pid} for "));
    wait_log(&sb, "checked", &format!("serving, pid {new};"));
    sb.run(bin("svc"), &["-wU", "-T", "10000", "service/checked"]).code(0);
}
