//! The container's main command (issue 22): `svscan DIR -- COMMAND ARGS...`
//! runs COMMAND beside the services; when it ends, every service is taken
//! down in order and svscan exits with COMMAND's code; TERM and INT reach
//! COMMAND first.

use crate::common::*;
use crate::svscan::{check_complete, logged, writer};
use std::fs;

/// svscan on `services` with the main command `sh -c SCRIPT`, started in
/// the sandbox: its pid.
fn with_main(sb: &Sandbox, script: &str) -> u32 {
    let mut cmd = sb.command(bin("svscan"));
    cmd.args(["-g", "2", "services", "--", "sh", "-c", script]);
    sb.spawn(cmd, "svscan")
}

#[test]
fn svscan_exits_with_the_main_commands_code_after_stopping_every_service_in_order() {
    let sb = Sandbox::new();
    writer(&sb, "services/fast", false);
    // The main command runs where svscan was started, with its descriptors.
    let pid = with_main(&sb, "pwd > main-ran; until [ -e go ]; do sleep 0.02; done; echo said; exit 7");
    wait_for(5000, "lines in the log", || logged(&sb, "services/fast", 2000));
    assert_eq!(fs::read_to_string(sb.join("main-ran")).unwrap().trim(), sb.path().to_str().unwrap());
    fs::write(sb.join("go"), "").unwrap();
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(7));
    assert_eq!(fs::read_to_string(sb.join("svscan.out")).unwrap(), "said\n");
    check_complete(&sb, "services/fast");
    assert!(!sb.is_supervised("services/fast"));
}

#[test]
fn term_reaches_the_main_command_first_and_a_signal_death_is_128_plus() {
    let sb = Sandbox::new();
    writer(&sb, "services/fast", false);
    // The main command, told TERM, finds the service still up.
    let script = format!(
        "trap '{} services/fast > main-saw; exit 0' TERM; while :; do sleep 0.02; done",
        bin("svstat").display()
    );
    let pid = with_main(&sb, &script);
    wait_for(5000, "lines in the log", || logged(&sb, "services/fast", 2000));
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0), "the main command's own code");
    let saw = fs::read_to_string(sb.join("main-saw")).unwrap();
    assert!(saw.starts_with("services/fast: up "), "the service was still up when the main command got TERM: {saw}");
    check_complete(&sb, "services/fast");

    // One that dies of the signal gives 128 + its number.
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    let pid = with_main(&sb, "echo $$ > main-pid; exec sleep 300");
    wait_for(5000, "the main command", || sb.join("main-pid").exists());
    signal(pid, libc::SIGINT);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(128 + libc::SIGINT));
}

#[test]
fn a_main_command_that_ignores_term_is_killed_after_the_grace_period() {
    let sb = Sandbox::new();
    sb.service("services/s", "exec sleep 300");
    let pid = with_main(&sb, "trap '' TERM; echo up > main-up; while :; do sleep 0.05; done");
    wait_for(5000, "the main command", || sb.join("main-up").exists());
    sb.wait_up("services/s", 0);
    let t = std::time::Instant::now();
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(128 + libc::SIGKILL));
    let took = t.elapsed();
    assert!(took >= std::time::Duration::from_millis(1900) && took.as_secs() < 6, "killed at -g 2: {took:?}");
}

#[test]
fn bad_calls_and_an_unknown_command() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("services")).unwrap();
    let usage = "svscan: usage: svscan [ -g grace ] [ dir [ -- command [ arg ... ] ] ]\n";
    sb.run(bin("svscan"), &["services", "--"]).code(100).stderr_is(usage);
    sb.run(bin("svscan"), &["services", "x", "sh"]).code(100).stderr_is(usage);
    sb.run(bin("svscan"), &["services", "--", "no-such-command-here"])
        .code(127)
        .stderr_is("svscan: fatal: unable to run no-such-command-here: file does not exist\n");
}

#[test]
fn as_pid_1_the_main_commands_code_ends_the_namespace() {
    let sb = Sandbox::new();
    let Some(mut cmd) = in_pid_namespace(&sb) else { return };
    writer(&sb, "services/fast", false);
    cmd.arg(bin("svscan")).args(["-g", "1", "services", "--"]);
    cmd.args(["sh", "-c", "until [ -e go ]; do sleep 0.02; done; ( exec sleep 300 & ); exit 3"]);
    let unshare = sb.spawn(cmd, "svscan");
    wait_for(5000, "lines in the log", || logged(&sb, "services/fast", 2000));
    fs::write(sb.join("go"), "").unwrap();
    // The orphan it left is stopped with the namespace; the code is the command's.
    assert_eq!(sb.wait_exit(unshare, 10_000).code(), Some(3));
    check_complete(&sb, "services/fast");
}

/// svscan on `services` with `args` after the directory: its pid.
fn svscan(sb: &Sandbox, args: &[&str]) -> u32 {
    let mut cmd = sb.command(bin("svscan"));
    cmd.args(["-g", "2", "services"]).args(args);
    sb.spawn(cmd, "svscan")
}

#[test]
fn an_essential_service_reaching_its_restart_limit_ends_svscan_with_its_code() {
    let sb = Sandbox::new();
    let db = sb.service("services/db", "sleep 0.2; exit 3");
    fs::write(db.join("essential"), "").unwrap();
    fs::write(db.join("restart-limit"), "2 60\n").unwrap();
    sb.service("services/other", "exec sleep 300");
    // The main command is told TERM and ends; the code is still the service's.
    let pid =
        svscan(&sb, &["--", "sh", "-c", "trap 'echo termed > main-termed; exit 0' TERM; while :; do sleep 0.02; done"]);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(3));
    assert!(sb.join("main-termed").exists(), "the main command went first");
    assert!(!sb.is_supervised("services/other"));
}

#[test]
fn an_essential_finish_125_ends_svscan_unless_the_operator_asked_it_down() {
    // Unasked: the service's last exit code, without a main command too.
    let sb = Sandbox::new();
    let web = sb.service("services/web", "sleep 0.1; exit 4");
    fs::write(web.join("essential"), "").unwrap();
    write_script(&web.join("finish"), "exit 125");
    let pid = svscan(&sb, &[]);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(4));

    // After `svc -d`, finish's 125 ends nothing; without `essential`,
    // nothing ends svscan either.
    let sb = Sandbox::new();
    let web = sb.service("services/web", "exec sleep 300");
    fs::write(web.join("essential"), "").unwrap();
    write_script(&web.join("finish"), "exit 125");
    let plain = sb.service("services/plain", "sleep 0.1; exit 5");
    write_script(&plain.join("finish"), "exit 125");
    let pid = svscan(&sb, &[]);
    sb.wait_up("services/web", 0);
    sb.run(bin("svc"), &["-d", "services/web"]).code(0);
    sb.wait_down("services/web");
    wait_for(5000, "plain to stay down", || {
        sb.try_status("services/plain").is_some_and(|s| s.pid == 0 && s.want == daemontools::status::Want::Down)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(alive(pid), "svscan runs on");
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid, 10_000).code(), Some(0));
}
