//! The multilog core used by the examples: `t`, sizes, the lock, SIGALRM and
//! SIGTERM, compared with daemontools' multilog where the output is fixed.

mod common;

use common::*;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

fn feed(sb: &Sandbox, prog: std::path::PathBuf, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = sb
        .command(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn same_files_as_daemontools_with_timestamps_stripped() {
    let sb = Sandbox::new();
    let mut input = Vec::new();
    for i in 0..40 {
        input.extend_from_slice(format!("line {i} {}\n", "z".repeat(i * 30)).as_bytes());
    }
    input.extend_from_slice(b"no newline at the end");
    for (prog, dir) in [(bin("multilog"), "./ours"), (real("multilog"), "./theirs")] {
        let o = feed(&sb, prog, &["t", dir], &input);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let strip = |d: &str| -> String {
        let text = fs::read_to_string(sb.join(d).join("current")).unwrap();
        text.lines()
            .map(|l| {
                assert!(daemontools::tai64::parse_label(l.as_bytes()).is_some(), "no label: {l}");
                assert_eq!(l.as_bytes()[25], b' ');
                l[26..].to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip("ours"), strip("theirs"));
    let mode = |d: &str| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(sb.join(d).join("current")).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode("ours"), 0o744);
    assert_eq!(mode("ours"), mode("theirs"));
}

#[test]
fn lock_alarm_and_term() {
    let sb = Sandbox::new();
    let mut cmd = sb.command(bin("multilog"));
    cmd.args(["./main"]).stdin(Stdio::piped()).process_group(0);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    // Killed by the guard too if anything below fails.
    struct Kill(u32);
    impl Drop for Kill {
        fn drop(&mut self) {
            signal(self.0, libc::SIGKILL);
        }
    }
    let _guard = Kill(pid);
    let mut stdin = child.stdin.take().unwrap();
    let current = sb.join("main/current");
    stdin.write_all(b"first\n").unwrap();
    wait_for(3000, "the first line", || fs::read_to_string(&current).unwrap_or_default() == "first\n");

    let o = sb.run(bin("multilog"), &["./main"]);
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(stderr(&o), "multilog: fatal: unable to lock directory ./main: temporary failure\n");

    signal(pid, libc::SIGALRM);
    let archives = || {
        fs::read_dir(sb.join("main"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".s"))
            .count()
    };
    wait_for(3000, "a rotation", || archives() == 1);
    assert_eq!(fs::read_to_string(&current).unwrap(), "");

    // TERM mid-line: the line is finished first, then multilog exits.
    stdin.write_all(b"half a ").unwrap();
    wait_for(3000, "the half line", || fs::read_to_string(&current).unwrap_or_default() == "half a ");
    signal(pid, libc::SIGTERM);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "exited mid-line");
    stdin.write_all(b"line\nthe rest of the chunk read with it is kept\n").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let text = fs::read_to_string(&current).unwrap();
    assert!(text.starts_with("half a line\n"), "{text:?}");
}
