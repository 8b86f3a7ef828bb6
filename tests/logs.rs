//! Logs people can use (issue 24): multilog's `t`, `S` and `p` actions
//! (and that daemontools' multilog runs the same scripts, ignoring them),
//! `svlog` reading, merging and following log directories, and `svlogfwd`
//! forwarding them to a real rsyslog started here on loopback and on a
//! unix socket.

use crate::common::*;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Starts `prog args` in the sandbox with a pipe on its stdin, stderr to
/// `<log>.err`; the guard kills it. Returns its pid and the pipe.
fn logger(sb: &Sandbox, prog: &Path, args: &[&str], log: &str) -> (u32, std::process::ChildStdin) {
    let err = fs::File::create(sb.join(format!("{log}.err"))).unwrap();
    let mut cmd = sb.command(prog);
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(err).process_group(0);
    let mut child = spawn_retrying(&mut cmd);
    let stdin = child.stdin.take().unwrap();
    (sb.adopt(child), stdin)
}

/// The names of the archives of `dir`, sorted.
fn archives(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('@'))
        .collect();
    v.sort();
    v
}

#[test]
fn multilog_t_rotates_a_current_that_old_and_never_an_empty_one() {
    let sb = Sandbox::new();
    let (pid, mut w) = logger(&sb, &bin("multilog"), &["t", "t1", "./main"], "ml");
    let dir = sb.join("main");
    wait_for(3000, "multilog to make its directory", || dir.join("current").exists());
    // Quiet: nothing to rotate, however long.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(archives(&dir), Vec::<String>::new());
    let t0 = Instant::now();
    w.write_all(b"one\n").unwrap();
    wait_for(4000, "the line to be rotated by age", || archives(&dir).len() == 1);
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(900), "rotated after {took:?}, before the second was up");
    let first = fs::read_to_string(dir.join(&archives(&dir)[0])).unwrap();
    assert!(first.ends_with(" one\n") && first.lines().count() == 1, "{first:?}");
    assert_eq!(fs::read(dir.join("current")).unwrap(), b"");
    // Quiet again: no empty archive follows.
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(archives(&dir).len(), 1, "{:?}", archives(&dir));
    // A steady trickle is cut every second or so, each line whole.
    for i in 0..12 {
        w.write_all(format!("trickle {i}\n").as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(250));
    }
    wait_for(4000, "the trickle's last rotation", || fs::read(dir.join("current")).unwrap().is_empty());
    let names = archives(&dir);
    assert!((3..=6).contains(&(names.len() - 1)), "{names:?}");
    let all: String = names.iter().map(|n| fs::read_to_string(dir.join(n)).unwrap()).collect();
    let texts: Vec<&str> = all.lines().map(|l| l.split_once(' ').unwrap().1).collect();
    let want: Vec<String> = std::iter::once("one".to_string()).chain((0..12).map(|i| format!("trickle {i}"))).collect();
    assert_eq!(texts, want);
    drop(w);
    sb.wait_exit(pid, 3000);
}

#[test]
fn multilog_big_s_caps_the_archives_and_p_prefixes_what_e_copies() {
    let sb = Sandbox::new();
    let script = ["t", "s4096", "n100", "S10000", "pweb: ", "-*", "+*fatal*", "e", "+*", "./main"];
    let mut input = Vec::new();
    for i in 0..200 {
        input.extend_from_slice(format!("line {i:03} {}\n", "x".repeat(90)).as_bytes());
    }
    input.extend_from_slice(b"a fatal line\n");
    let (pid, mut w) = logger(&sb, &bin("multilog"), &script, "ours");
    w.write_all(&input).unwrap();
    drop(w);
    assert!(sb.wait_exit(pid, 5000).success());
    let dir = sb.join("main");
    let names = archives(&dir);
    let total: u64 = names.iter().map(|n| fs::metadata(dir.join(n)).unwrap().len()).sum();
    assert!(total <= 10_000 && total > 10_000 - 4096, "{total} bytes in {names:?}");
    assert!(names.len() >= 2, "{names:?}");
    let alert = sb.stderr_of("ours");
    assert!(
        alert.starts_with("web: @") && alert.ends_with(" a fatal line\n") && alert.lines().count() == 1,
        "{alert:?}"
    );

    // daemontools' multilog runs the same script, ignoring the letters it does not know.
    let (pid, mut w) = logger(&sb, &real("multilog"), &[&script[..9], &["./theirs"]].concat(), "theirs");
    w.write_all(&input).unwrap();
    drop(w);
    assert!(sb.wait_exit(pid, 5000).success());
    let names = archives(&sb.join("theirs"));
    let total: u64 = names.iter().map(|n| fs::metadata(sb.join("theirs").join(n)).unwrap().len()).sum();
    assert!(total > 10_000, "no cap in daemontools: {total}");
    let alert = sb.stderr_of("theirs");
    assert!(alert.starts_with('@') && alert.ends_with(" a fatal line\n"), "no prefix in daemontools: {alert:?}");
    let (pid, mut w) = logger(&sb, &real("multilog"), &["t", "t1", "./quiet"], "quiet");
    w.write_all(b"kept in current\n").unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(archives(&sb.join("quiet")), Vec::<String>::new(), "daemontools ignores t1");
    drop(w);
    assert!(sb.wait_exit(pid, 5000).success());
}
