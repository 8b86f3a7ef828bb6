//! svscanboot and readproctitle, against daemontools' behaviour.

use crate::common::*;
use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

/// The arguments of a process, argv[0] left out.
fn args_of(pid: u32) -> Vec<Vec<u8>> {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut args: Vec<Vec<u8>> = cmdline.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    args.pop(); // after the final NUL
    args.into_iter().skip(1).collect()
}

/// How many bytes wait in a pipe.
fn unread(fd: &impl std::os::fd::AsRawFd) -> i32 {
    let mut n = 0;
    unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    n
}

/// The title `readproctitle` shows after reading `input` (stdin kept open).
fn title_after(program: &std::path::Path, args: &[&str], input: &[u8]) -> Vec<Vec<u8>> {
    let mut child = Command::new(program).args(args).stdin(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    // All read, and asleep in the next read: everything read has been shown.
    wait_for(5000, "readproctitle to read its input", || unread(&stdin) == 0 && proc_state(pid) == "S");
    let title = args_of(pid);
    drop(stdin);
    assert!(child.wait().unwrap().success());
    title
}

#[test]
fn readproctitle_scrolls_its_last_argument_as_daemontools_does() {
    let long: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let inputs: [&[u8]; 5] = [b"hello\nab", b"abcdefghijklmnop", b"ab\0cd\0", b"", &long];
    for input in inputs {
        for args in [&["x:", ".........."][..], &["....."], &["service", "errors:", &".".repeat(400)]] {
            let ours = title_after(&bin("readproctitle"), args, input);
            let theirs = title_after(&real("readproctitle"), args, input);
            assert_eq!(ours, theirs, "{args:?} after {:?}", String::from_utf8_lossy(input));
        }
    }
    assert_eq!(title_after(&bin("readproctitle"), &["x:", ".........."], b"hello\nab")[1], b"...ello\nab");
}

#[test]
fn readproctitle_exit_codes_match_daemontools() {
    let sb = Sandbox::new();
    for args in [&[][..], &["a"], &["x", "abcd"], &["abcde"]] {
        let ours = sb.run(bin("readproctitle"), args);
        let theirs = sb.run(real("readproctitle"), args);
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        assert_eq!((stdout(&ours), stderr(&ours)), (String::new(), String::new()));
    }
    sb.run(bin("readproctitle"), &["a"]).code(100);
    // A read error (stdin closed) is 111 for both.
    for program in [bin("readproctitle"), real("readproctitle")] {
        let status = std::process::Command::new(&program)
            .arg(".....")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "end of input");
        let sh = format!("exec {} ..... <&-", program.display());
        sb.run("/bin/sh", &["-c", &sh]).code(111);
    }
}

#[test]
fn svscanboot_stops_stale_supervisors_then_runs_svscan_into_readproctitle() {
    let sb = Sandbox::new();
    sb.service("service/a", "exec sleep 1000");
    std::os::unix::fs::symlink("/nonexistent", sb.join("service/broken")).unwrap();
    // A supervise left from an "earlier boot".
    let stale = sb.supervise(&bin("supervise"), "service/a");
    let stale_service = sb.wait_up("service/a", 0);

    let mut cmd = sb.command(bin("svscanboot"));
    cmd.arg(sb.join("service"));
    let boot = sb.spawn(cmd, "svscanboot");
    wait_for(5000, "the stale supervise to exit", || !alive(stale) && !alive(stale_service));
    let service = sb.wait_up("service/a", stale_service);
    // svscanboot became svscan, with only daemontools' PATH in its environment.
    wait_for(5000, "svscan", || fs::read_to_string(format!("/proc/{boot}/comm")).is_ok_and(|c| c == "svscan\n"));
    let env = fs::read(format!("/proc/{boot}/environ")).unwrap();
    assert_eq!(env, b"PATH=/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin\0");

    // readproctitle shows svscan's warnings.
    let title = || children(boot).into_iter().map(args_of).find(|a| a.len() == 3 && a[0] == b"service");
    let warning = b"svscan: warning: unable to stat broken: file does not exist\n";
    wait_for(8000, "the warning in readproctitle's title", || title().is_some_and(|t| t[2].ends_with(warning)));
    let t = title().unwrap();
    assert_eq!((t[1].as_slice(), t[2].len()), (&b"errors:"[..], 400));
    assert!(t[2].starts_with(b"..."));
    let title_pid = children(boot).into_iter().find(|&p| args_of(p).first().is_some_and(|a| a == b"service")).unwrap();

    signal(boot, libc::SIGTERM);
    assert_eq!(sb.wait_exit(boot, 10_000).code(), Some(0));
    assert!(!alive(service));
    wait_for(2000, "readproctitle to end with its input", || !alive(title_pid));

    // A missing directory is said on stderr, before readproctitle takes it.
    for (dir, reason) in [("missing", "file does not exist"), ("file", "not a directory")] {
        fs::write(sb.join("file"), "").unwrap();
        let o = sb.run(bin("svscanboot"), &[dir]);
        let expected = format!("svscanboot: fatal: unable to chdir to {dir}: {reason}\n");
        o.code(111).stderr_is(expected);
    }
    sb.run(bin("svscanboot"), &["a", "b"]).code(100).stderr_is("svscanboot: usage: svscanboot [ dir ]\n");
}
