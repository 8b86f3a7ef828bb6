//! What held under the hostile review of issue 17 and must keep holding:
//! odd service names, a hundred concurrent waiters, a full disk under
//! `supervise/`.

use crate::common::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

#[test]
fn odd_names_are_supervised() {
    let sb = Sandbox::new();
    let names: [&[u8]; 5] = [b"with space", b"new\nline", b"caf\xe9", b"-d", b"--"];
    for n in names {
        let dir = sb.join("services").join(OsStr::from_bytes(n));
        fs::create_dir_all(&dir).unwrap();
        write_script(&dir.join("run"), "exec sleep 1000");
    }
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    sb.spawn(cmd, "svscan");
    for n in names {
        let path = sb.join("services").join(OsStr::from_bytes(n));
        wait_for(5000, &format!("{:?} up", String::from_utf8_lossy(n)), || {
            daemontools::status::Status::unpack(&fs::read(path.join("supervise/status")).unwrap_or_default())
                .is_some_and(|s| s.pid != 0)
        });
    }
    assert_eq!(sb.stderr_of("svscan"), "");
}

#[test]
fn a_hundred_waiters_are_all_woken_and_leave_no_fifo() {
    let sb = Sandbox::new();
    // Ready half a second after each start.
    sb.service("s", "sleep 0.5\necho >&5\nexec sleep 1000");
    fs::write(sb.join("s/notification-fd"), "5\n").unwrap();
    sb.supervise(&bin("supervise"), "s");
    sb.wait_up("s", 0);
    let mut waiters: Vec<_> = (0..100)
        .map(|_| {
            sb.command(bin("svc"))
                .args(["-wR", "-T", "20000", "s"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    wait_for(10_000, "100 waiters' FIFOs", || {
        fs::read_dir(sb.join("s/supervise/event")).is_ok_and(|d| d.count() >= 100)
    });
    // A restart, then ready: every waiter goes.
    let o = sb.run(bin("svc"), &["-t", "s"]);
    assert!(o.status.success());
    for w in waiters.iter_mut() {
        let status = finish_within(w, 20_000, "a waiter");
        let mut err = String::new();
        std::io::Read::read_to_string(w.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert_eq!((status.code(), err), (Some(0), String::new()));
    }
    assert_eq!(fs::read_dir(sb.join("s/supervise/event")).unwrap().count(), 0, "a FIFO left behind");
}

#[test]
fn a_full_disk_under_supervise_keeps_the_service_supervised() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED a_full_disk_under_supervise: needs root to mount a tmpfs");
        return;
    }
    let sb = Sandbox::new();
    sb.service("s", "exec sleep 1000");
    let sup_dir = sb.join("s/supervise");
    fs::create_dir(&sup_dir).unwrap();
    let o = Command::new("mount").args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"]).arg(&sup_dir).output();
    match o {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("SKIPPED a_full_disk_under_supervise: cannot mount a tmpfs here ({other:?})");
            return;
        }
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(sup_dir.clone());
    let sup = sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    // Fill it: status and info can no longer be written.
    let _ = fs::write(sup_dir.join("filler"), vec![0u8; 1 << 20]);
    signal(pid, libc::SIGKILL);
    wait_for(5000, "a warning that the status cannot be written", || {
        sb.stderr_of("supervise-s").contains("supervise: warning: unable to write s/supervise/status.new")
            || sb.stderr_of("supervise-s").contains("supervise: warning: unable to open s/supervise/status.new")
    });
    // The service runs again all the same (its status unwritten), and svc still works.
    wait_for(5000, "the service started again", || children(sup).iter().any(|&c| c != pid && alive(c)));
    assert!(alive(sup));
    // Room again: the next change is written.
    fs::remove_file(sup_dir.join("filler")).unwrap();
    sb.run(bin("svc"), &["-d", "-wd", "-T", "5000", "s"]).code(0).stderr_is("");
    assert_eq!(sb.status("s").pid, 0);
    signal(sup, libc::SIGTERM);
    sb.wait_exit(sup, 5000);
}
