//! The run-script tools (setuidgid, envuidgid, envdir, softlimit, setlock,
//! fghack, pgrphack) against daemontools' own from Debian: every flag and
//! error path on the same input, with the same output and exit code.

use crate::common::*;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `prog args` in the sandbox with `env` (besides PATH), stdin closed to /dev/null, killed after 10 s.
fn run_with(
    sb: &Sandbox,
    prog: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    groups: Option<&'static [libc::gid_t]>,
) -> Run {
    let mut cmd = sb.command(prog);
    cmd.args(args).envs(env.iter().copied()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.process_group(0);
    if let Some(groups) = groups {
        // SAFETY: setgroups between fork and exec, with a valid array.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().unwrap();
    let what = format!("{} {args:?}", prog.display());
    finish_within(&mut child, 10_000, &what);
    Run::new(what, child.wait_with_output().unwrap())
}

/// Asserts that ours and daemontools' `prog` give the same exit code, stdout and stderr.
fn same(sb: &Sandbox, prog: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let ours = run_with(sb, &bin(prog), args, env, None);
    let theirs = run_with(sb, &real(prog), args, env, None);
    use std::os::unix::process::ExitStatusExt;
    let show = |o: &Output| (o.status.code(), o.status.signal(), stdout(o), stderr(o));
    assert_eq!(
        show(&ours),
        show(&theirs),
        "{prog} {args:?}: (exit code, signal, stdout, stderr), ours then daemontools'"
    );
    ours
}

#[test]
fn setuidgid_and_envuidgid_match_daemontools() {
    let sb = Sandbox::new();
    for args in [
        &[][..],
        &["nobody"],
        &["nosuchaccount", "true"],
        &["nobody", "/nonexistent"],
        &["nobody", "/etc/passwd"],
        &["nobody", "no-such-program"],
        &["nobody", "/"],
        &["nobody", "id"],
        &["nobody", "sh", "-c", "echo $0 \"$@\"; exit 7", "zero", "one"],
    ] {
        same(&sb, "setuidgid", args, &[]);
    }
    for args in [&[][..], &["nobody"], &["nosuchaccount", "env"], &["nobody", "env"], &["nobody", "/nonexistent"]] {
        same(&sb, "envuidgid", args, &[]);
        same(&sb, "envuidgid", args, &[("UID", "1"), ("A", "1"), ("GID", "2"), ("Z", "9")]);
    }
    same(&sb, "setuidgid", &["nobody", "/nonexistent"], &[]).code(111);
    same(&sb, "envuidgid", &["nobody", "env"], &[]).stdout_has("UID=65534\n").stdout_has("GID=65534\n");
}

#[test]
fn an_account_not_in_etc_passwd_is_never_asked_of_a_getent_in_path() {
    // Our programs are static and read /etc/passwd themselves; any other
    // source (LDAP, systemd's users) is reached through /usr/bin/getent, by
    // absolute path with an empty environment: setuidgid runs as root with
    // whatever environment a run script gave it.
    let sb = Sandbox::new();
    let getent = sb.join("getent");
    fs::write(&getent, "#!/bin/sh\necho 'ldapuser:*:0:0::/:/bin/sh'\n").unwrap();
    std::fs::set_permissions(&getent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", sb.path().display());
    for prog in ["envuidgid", "setuidgid"] {
        run_with(&sb, &bin(prog), &["ldapuser", "env"], &[("PATH", &path)], None)
            .code(111)
            .stderr_is(format!("{prog}: fatal: unknown account ldapuser\n"));
    }
    // /etc/passwd comes first; a NIS compat name (+ or -) is no account.
    run_with(&sb, &bin("envuidgid"), &["root", "/usr/bin/env"], &[("PATH", "/nonexistent")], None)
        .stdout_has("UID=0\n");
    run_with(&sb, &bin("envuidgid"), &["+root", "/usr/bin/env"], &[], None).code(111);
}

#[test]
fn setuidgid_runs_as_a_real_account_with_no_other_group_and_no_way_back() {
    let Some(account) = Account::if_root("c", "setuidgid_runs_as_a_real_account") else { return };
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (uid, gid) = daemontools::pathexec::account(account.0.as_bytes()).unwrap();
    // Started with supplementary groups that must not reach the child.
    static GROUPS: [libc::gid_t; 3] = [0, 4, 20];
    for prog in [bin("setuidgid"), real("setuidgid")] {
        let o = run_with(&sb, &prog, &[&account.0, "id"], &[], Some(&GROUPS));
        let name = &account.0;
        let group = stdout(&run_with(&sb, Path::new("/usr/bin/id"), &["-gn", name], &[], None));
        let expected = format!("uid={uid}({name}) gid={gid}({g}) groups={gid}({g})\n", g = group.trim());
        o.code(0).stdout_is(expected);
        // Not back to root: setuidgid itself, run by the account, cannot become root again.
        let back = sb.public_bin("setuidgid");
        run_with(&sb, &prog, &[&account.0, back.to_str().unwrap(), "root", "id"], &[], None)
            .code(111)
            .stderr_is("setuidgid: fatal: unable to setgid: permission denied\n");
    }
}

#[test]
fn envdir_matches_daemontools() {
    let sb = Sandbox::new();
    let d = sb.join("env");
    fs::create_dir(&d).unwrap();
    for (name, contents) in [
        ("B", &b"x\nsecond line\n"[..]),
        ("D", b"new"),
        ("A", b""),
        ("E", b"e  \t \t\n"),
        ("N", b"a\0b\0\n"),
        (".hidden", b"skipped\n"),
        ("F=G", b"v\n"),
        ("SPACES", b"   \n"),
        ("LONG", &[b'L'; 5000]),
    ] {
        fs::write(d.join(name), contents).unwrap();
    }
    let env = [("A", "1"), ("B", "2"), ("C", "3"), ("F", "9"), ("SPACES", "s")];
    let o = same(&sb, "envdir", &["env", "env"], &env);
    assert!(
        stdout(&o).contains("B=x\n") && !stdout(&o).contains("A=") && stdout(&o).contains("N=a\nb\n"),
        "{}",
        stdout(&o)
    );
    for args in
        [&[][..], &["env"], &["nonexistent", "true"], &["env/B", "true"], &["env", "/nonexistent"], &["env", "/"]]
    {
        same(&sb, "envdir", args, &env).code(111);
    }
    fs::create_dir(d.join("sub")).unwrap();
    same(&sb, "envdir", &["env", "env"], &env);
    // An entry that cannot be read: a dangling symlink. daemontools'
    // openreadclose takes a missing file for an empty read but keeps its
    // buffer, so its envdir sets DANGLING to the previous file's value (here
    // LONG's, by directory order). We say so and exit 111 instead.
    fs::remove_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("/nonexistent", d.join("DANGLING")).unwrap();
    let o = run_with(&sb, &bin("envdir"), &["env", "env"], &env, None);
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(111), String::new(), "envdir: fatal: unable to read env/DANGLING: file does not exist\n".to_string())
    );
    fs::remove_file(d.join("DANGLING")).unwrap();
    // A PATH set by the directory is the child's, not the one it is looked for in.
    fs::write(d.join("PATH"), "/nonexistent\n").unwrap();
    same(&sb, "envdir", &["env", "sh", "-c", "echo $PATH"], &env);
}

#[test]
fn softlimit_matches_daemontools() {
    let sb = Sandbox::new();
    let show = "ulimit -a | sort";
    for args in [
        &[][..],
        &["-m"],
        &["-z", "5", "true"],
        &["-m", "x", "true"],
        &["-m", "12x", "true"],
        &["-m", "100000000"],
        &["-m", "100000000", "sh", "-c", show],
        &["-a", "200000000", "-c", "0", "-d", "300000000", "-f", "4096", "-l", "65536", "sh", "-c", show],
        &["-o", "50", "-p", "100", "-r", "1000000", "-s", "1000000", "-t", "5", "sh", "-c", show],
        &["-t", "=", "-o", "=", "sh", "-c", show],
        &["-o", "99999999999", "sh", "-c", "ulimit -n"],
        &["-d", "1000000000000000000000", "sh", "-c", "ulimit -d"],
        &["-m", "", "sh", "-c", "ulimit -d"],
        &["-o", "30", "/nonexistent"],
        &["-o30", "--", "sh", "-c", "ulimit -n"],
    ] {
        same(&sb, "softlimit", args, &[]);
    }
}

#[test]
fn setlock_matches_daemontools() {
    let sb = Sandbox::new();
    for args in [
        &[][..],
        &["lockfile"],
        &["-q", "lockfile", "true"],
        &["lockfile", "sh", "-c", "ls -l /proc/self/fd/ | grep -c lockfile"],
        &["-n", "lockfile", "true"],
        &["nonexistent/lock", "true"],
        &["-x", "nonexistent/lock", "true"],
        &["-xX", "nonexistent/lock", "true"],
        &["lockfile", "/nonexistent"],
        // A name too long for the system, and a directory.
        &[&"L".repeat(5000), "true"],
        &[".", "true"],
    ] {
        same(&sb, "setlock", args, &[]);
    }
    // Held by another process: -n fails at once (or quietly with -x); without -n it waits.
    let mut holder = sb.command(bin("setlock"));
    holder.args(["held", "sleep", "30"]);
    let pid = sb.spawn(holder, "holder");
    wait_for(3000, "the holder to take the lock", || {
        fs::read_to_string("/proc/locks").unwrap_or_default().contains(&format!(" {pid} "))
    });
    for args in
        [&["-n", "held", "true"][..], &["-Nn", "held", "true"], &["-nx", "held", "true"], &["-nxX", "held", "true"]]
    {
        same(&sb, "setlock", args, &[]);
    }
    let o = same(&sb, "setlock", &["-n", "held", "true"], &[]);
    assert_eq!(stderr(&o), "setlock: fatal: unable to lock held: temporary failure\n");
    let mut waiter = sb.command(bin("setlock"));
    waiter.args(["held", "true"]);
    let waiting = sb.spawn(waiter, "waiter");
    wait_for(3000, "the waiter to block on the lock", || {
        fs::read_to_string("/proc/locks").unwrap_or_default().lines().any(|l| l.contains(&format!(" {waiting} ")))
    });
    assert!(alive(waiting), "setlock without -n must wait for the lock");
    signal(pid, libc::SIGKILL);
    assert_eq!(sb.wait_exit(waiting, 3000).code(), Some(0));
}

#[test]
fn fghack_and_pgrphack_match_daemontools() {
    let sb = Sandbox::new();
    for args in [&[][..], &["/nonexistent"], &["sh", "-c", "exit 3"], &["sh", "-c", "kill -SEGV $$"]] {
        same(&sb, "fghack", args, &[]);
        same(&sb, "pgrphack", args, &[]);
    }
    same(&sb, "fghack", &["sh", "-c", "kill -SEGV $$"], &[]).code(111).stderr_is("fghack: fatal: child crashed\n");
    // fghack waits for what the child left in the background to close its copies of the pipe.
    let start = Instant::now();
    same(&sb, "fghack", &["sh", "-c", "sleep 0.4 & exit 5"], &[]).code(5);
    assert!(
        start.elapsed() >= Duration::from_millis(800),
        "fghack returned before the background sleep closed the pipe"
    );
    let count = ["sh", "-c", "ls /proc/self/fd | wc -l"];
    let o = same(&sb, "fghack", &count, &[]);
    let without = run_with(&sb, Path::new("/bin/sh"), &count[1..], &[], None);
    let n = |o: &Output| stdout(o).trim().parse::<i32>().unwrap();
    assert_eq!(n(&o) - n(&without), 31, "the pipe's write end and its 30 copies");
    // pgrphack: the child leads a new session and process group.
    // Fields 5 and 6 of /proc/PID/stat are the process group and the session.
    let check = "set -- $(cat /proc/$$/stat); [ $5 = $$ ] && [ $6 = $$ ] && echo leader";
    for prog in [bin("pgrphack"), real("pgrphack")] {
        // Not a group leader already (unlike `run_with`'s commands), so setsid can work.
        let o = sb.command(&prog).args(["sh", "-c", check]).stdin(Stdio::null()).output().unwrap();
        Run::new(prog.display().to_string(), o).code(0).stdout_is("leader\n");
    }
}

#[test]
fn envdir_reads_a_fifo_as_empty_as_daemontools_does() {
    let sb = Sandbox::new();
    let d = sb.join("env");
    fs::create_dir(&d).unwrap();
    mkfifo(&d.join("FIFO"));
    fs::write(d.join("AFTER"), "seen\n").unwrap();
    let env = [("FIFO", "set before")];
    let (ours, theirs) = (
        run_with(&sb, &bin("envdir"), &["env", "/usr/bin/env"], &env, None),
        run_with(&sb, &real("envdir"), &["env", "/usr/bin/env"], &env, None),
    );
    assert_eq!((ours.status.code(), stdout(&ours)), (theirs.status.code(), stdout(&theirs)));
    ours.code(0);
    assert!(!stdout(&ours).contains("FIFO=") && stdout(&ours).contains("AFTER=seen\n"), "{}", stdout(&ours));
}
