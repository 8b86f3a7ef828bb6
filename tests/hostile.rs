//! An unprivileged owner of a service directory against root's supervise,
//! svscan and svc: a symlink or FIFO planted below the service directory is
//! never followed or written, root's files stay byte for byte as they were.
//! Run as root with a real account made by the test (skipped otherwise).

use crate::common::*;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

const SECRET: &str = "root:secret:0600\n";

/// A root-only file to plant links to, and the uid and gid of the account.
fn setup(sb: &Sandbox, account: &Account) -> (u32, u32) {
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(sb.join("secret"), SECRET).unwrap();
    fs::set_permissions(sb.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
    daemontools::pathexec::account(account.0.as_bytes()).unwrap()
}

/// `chown -R` to the account.
fn give(path: &Path, (uid, gid): (u32, u32)) {
    let o = Command::new("chown").arg("-R").arg(format!("{uid}:{gid}")).arg(path).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Runs a shell command as the account, in the sandbox.
fn as_account(sb: &Sandbox, account: &Account, script: &str) {
    let o = sb.run(bin("setuidgid"), &[&account.0, "/bin/sh", "-ec", script]);
    assert!(o.status.success(), "as {}: {script}: {}", account.0, stderr(&o));
}

#[test]
fn a_running_supervise_writes_only_into_its_own_supervise_directory() {
    let Some(account) = Account::if_root("h", "a_running_supervise_writes_only_into_its_own") else { return };
    let sb = Sandbox::new();
    let ids = setup(&sb, &account);
    // Root's FIFO in a directory the owner points supervise/event at.
    fs::create_dir(sb.join("victims")).unwrap();
    mkfifo(&sb.join("victims/fifo"));
    sb.service("s", "exec sleep 1000");
    give(&sb.join("s"), ids);
    sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    // The owner swaps supervise/ for a directory of its own, full of links.
    let secret = sb.join("secret");
    as_account(
        &sb,
        &account,
        &format!(
            "cd s; mv supervise supervise.old; mkdir supervise; cd supervise; \
             for f in control ok status status.new info info.new lock; do ln -s {} $f; done; \
             ln -s {} event",
            secret.display(),
            sb.join("victims").display()
        ),
    );
    // supervise goes on in its own directory: a restart is announced there.
    signal(pid, libc::SIGKILL);
    let status = || daemontools::status::Status::unpack(&fs::read(sb.join("s/supervise.old/status")).unwrap());
    wait_for(5000, "the restart, announced in supervise.old", || status().is_some_and(|s| s.pid != 0 && s.pid != pid));
    // Root's svc, through the planted control link, writes nothing either.
    let o = sb.run(bin("svc"), &["-t", "s"]);
    assert_eq!(stderr(&o), "svc: warning: unable to control s: supervise/control is not a FIFO\n");
    assert_eq!(fs::read_to_string(&secret).unwrap(), SECRET, "root's file was written");
    assert!(sb.join("victims/fifo").exists(), "root's FIFO was removed");
}

#[test]
fn supervise_refuses_a_supervise_directory_or_link_of_another_account() {
    let Some(account) = Account::if_root("i", "supervise_refuses_a_supervise_directory") else { return };
    let sb = Sandbox::new();
    let ids = setup(&sb, &account);
    // The owner made supervise/ itself, with a link where the lock goes.
    sb.service("own", "exec sleep 1000");
    give(&sb.join("own"), ids);
    as_account(
        &sb,
        &account,
        &format!("mkdir own/supervise; ln -s {} own/supervise/lock", sb.join("secret").display()),
    );
    let o = sb.run(bin("supervise"), &["own"]);
    o.code(111);
    assert_eq!(
        stderr(&o),
        format!(
            "supervise: fatal: unable to acquire own/supervise/lock: own/supervise belongs to uid {}, neither root nor this supervise's\n",
            ids.0
        )
    );
    // A link the owner planted is not followed either.
    sb.service("linked", "exec sleep 1000");
    give(&sb.join("linked"), ids);
    fs::create_dir(sb.join("elsewhere")).unwrap();
    as_account(&sb, &account, &format!("ln -s {} linked/supervise", sb.join("elsewhere").display()));
    sb.run(bin("supervise"), &["linked"]).code(111).stderr_has("linked/supervise (a symlink) belongs to uid");
    assert_eq!(fs::read_to_string(sb.join("secret")).unwrap(), SECRET);
    assert_eq!(fs::read_dir(sb.join("elsewhere")).unwrap().count(), 0);
    // Root's own link (Debian's update-service layout) is followed.
    sb.service("debian", "exec sleep 1000");
    give(&sb.join("debian"), ids);
    fs::create_dir(sb.join("state")).unwrap();
    symlink(sb.join("state"), sb.join("debian/supervise")).unwrap();
    sb.supervise(&bin("supervise"), "debian");
    sb.wait_up("debian", 0);
    assert!(sb.join("state/status").exists());
    assert_eq!(fs::metadata(sb.join("state/control")).unwrap().uid(), 0);
}

#[test]
fn a_new_svscan_never_writes_through_a_planted_link_when_it_stops_what_it_took_over() {
    let Some(account) = Account::if_root("j", "a_new_svscan_never_writes_through") else { return };
    let sb = Sandbox::new();
    let ids = setup(&sb, &account);
    sb.service("services/s", "exec sleep 1000");
    give(&sb.join("services/s"), ids);
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    let first = sb.spawn(cmd, "svscan1");
    let pid = sb.wait_up("services/s", 0);
    signal(first, libc::SIGKILL);
    sb.wait_exit(first, 5000);
    // The second takes the old supervise over (it starts none of its own).
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("services");
    let second = sb.spawn(cmd, "svscan2");
    signal_handled(second, libc::SIGALRM);
    assert!(children(second).is_empty());
    as_account(
        &sb,
        &account,
        &format!(
            "cd services/s; mv supervise supervise.old; mkdir supervise; ln -s {} supervise/control; \
             mkfifo supervise/ok; (exec 3<>supervise/ok; exec sleep 30) >/dev/null 2>&1 &",
            sb.join("secret").display()
        ),
    );
    // The planted ok has a reader, as a live supervise's has.
    wait_for(5000, "the planted ok to have a reader", || {
        sb.is_supervised("services/s")
            || fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(sb.join("services/s/supervise/ok"))
                .is_ok()
    });
    signal(second, libc::SIGTERM);
    assert_eq!(sb.wait_exit(second, 10_000).code(), Some(0));
    assert_eq!(fs::read_to_string(sb.join("secret")).unwrap(), SECRET, "root's file was written");
    // The hidden supervise is left to its service (no pid of it is known).
    assert!(alive(pid));
}

#[test]
fn a_control_that_is_a_regular_file_is_made_a_fifo_again() {
    let sb = Sandbox::new();
    sb.service("s", "exec sleep 1000");
    fs::create_dir(sb.join("s/supervise")).unwrap();
    fs::set_permissions(sb.join("s/supervise"), fs::Permissions::from_mode(0o700)).unwrap();
    // As a restore that dropped FIFOs leaves it.
    fs::write(sb.join("s/supervise/control"), "").unwrap();
    fs::write(sb.join("s/supervise/ok"), "").unwrap();
    let sup = sb.supervise(&bin("supervise"), "s");
    sb.wait_up("s", 0);
    let err = sb.stderr_of("supervise-s");
    assert!(err.contains("supervise: warning: s/supervise/control was not a FIFO: made anew\n"), "{err}");
    // Not spinning: a second of its CPU time is well under 100 ms.
    let ticks = || {
        let stat = fs::read_to_string(format!("/proc/{sup}/stat")).unwrap();
        let f: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    let before = ticks();
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(ticks() - before < 10, "supervise spins");
    sb.run(bin("svc"), &["-d", "-wd", "-T", "5000", "s"]).code(0);
}

#[test]
fn svc_w_as_another_user_says_access_denied_never_success() {
    let Some(account) = Account::if_root("k", "svc_w_as_another_user") else { return };
    let sb = Sandbox::new();
    setup(&sb, &account);
    let pid = sb.supervised("s", "exec sleep 1000").pid;
    let svc = sb.public_bin("svc");
    for goal in ["-wd", "-wD", "-wu"] {
        sb.run(bin("setuidgid"), &[&account.0, svc.to_str().unwrap(), "-d", goal, "s"]).code(111).stderr_is(
            "svc: warning: unable to control s: access denied\nsvc: fatal: unable to wait for s: access denied\n",
        );
    }
    assert_eq!(sb.status("s").pid, pid, "the service was not touched");
}
