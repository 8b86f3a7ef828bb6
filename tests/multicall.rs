//! The one executable, `daemontools-rs`: each program's name (a link to it)
//! runs that program, and called by its own name it runs the program its
//! first argument names and lists them on `--help`; a name that is none
//! exits 100 saying so; `ps`, `pgrep -x` and `/proc/PID/comm` see each
//! program by its own name; the chain-loaders pass a closed standard
//! descriptor on closed, and the others open /dev/null there, as Rust's
//! runtime did for them when each was an executable of its own.

use crate::common::*;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn each_name_runs_its_program_and_the_executable_by_its_own_name_lists_them() {
    let sb = Sandbox::new();
    let exe = multicall();
    let o = sb.run(&exe, &["--list"]);
    o.code(0).stderr_is("");
    assert_eq!(o.stdout().lines().collect::<Vec<_>>(), PROGRAMS, "--list and the harness's list");
    let o = sb.run(&exe, &["--help"]);
    o.code(0).stderr_is("");
    let help = o.stdout();
    assert!(help.starts_with("daemontools-rs: usage: daemontools-rs program [ arg ... ]\n"), "{help}");
    assert!(help.ends_with("See daemontools-rs(7).\n"), "{help}");
    for prog in PROGRAMS {
        assert!(help.contains(&format!("\n  {prog}\n")), "--help lists {prog}: {help}");
    }
    sb.run(&exe, &["--version"]).code(0).stdout_is(format!("daemontools-rs {VERSION}\n")).stderr_is("");
    for prog in PROGRAMS {
        let version = format!("{prog} (daemontools-rs) {VERSION}\n");
        sb.run(bin(prog), &["--version"]).code(0).stdout_is(&version).stderr_is("");
        sb.run(&exe, &[prog, "--version"]).code(0).stdout_is(&version).stderr_is("");
        let help = sb.run(&exe, &[prog, "--help"]);
        assert!(help.code(0).stdout().starts_with(&format!("{prog}: usage: {prog}")), "{prog}");
    }
    // A bad call and a real one, by the link and by the executable's name:
    // the messages name the program called, as daemontools' do.
    for call in [&[bin("svok").to_str().unwrap()][..], &[exe.to_str().unwrap(), "svok"]] {
        sb.run(call[0], &call[1..]).code(100).stdout_is("").stderr_is("svok: usage: svok dir\n");
        let mut args = call[1..].to_vec();
        args.push("nowhere");
        sb.run(call[0], &args).code(111).stderr_is("svok: fatal: unable to chdir to nowhere: file does not exist\n");
    }
    fs::create_dir(sb.join("s")).unwrap();
    let not_yet = "s: unable to open supervise/ok: file does not exist\n";
    sb.run(&exe, &["svstat", "s"]).code(0).stdout_is(not_yet);
    // Called through a path, by a name that is a program's: a copy works as a link does.
    fs::create_dir(sb.join("elsewhere")).unwrap();
    fs::copy(&exe, sb.join("elsewhere/svstat")).unwrap();
    spawn_retrying(Command::new(sb.join("elsewhere/svstat")).arg("--version").stdout(Stdio::null())).wait().unwrap();
    sb.run(sb.join("elsewhere/svstat"), &["s"]).code(0).stdout_is(not_yet);
}

#[test]
fn a_name_that_is_no_program_exits_100_saying_so() {
    let sb = Sandbox::new();
    let exe = multicall();
    let usage = "daemontools-rs: usage: daemontools-rs program [ arg ... ]\n";
    sb.run(&exe, &[]).code(100).stdout_is("").stderr_is(usage);
    sb.run(&exe, &["-x"]).code(100).stdout_is("").stderr_is(usage);
    sb.run(&exe, &["svcx", "-u", "s"])
        .code(100)
        .stdout_is("")
        .stderr_is("daemontools-rs: fatal: unknown program svcx (daemontools-rs --help lists them)\n");
    // The executable by another name than its own or a program's.
    std::os::unix::fs::symlink(&exe, sb.join("svcx")).unwrap();
    sb.run(sb.join("svcx"), &["-u", "s"])
        .code(100)
        .stdout_is("")
        .stderr_is("svcx: fatal: unknown program svcx (daemontools-rs --help lists them)\n");
    // argv[0] is what counts, not the file's name: a program's name by exec -a.
    let o =
        Command::new("/bin/bash").args(["-c", &format!("exec -a svok {} --version", exe.display())]).output().unwrap();
    assert_eq!(stdout(&o), format!("svok (daemontools-rs) {VERSION}\n"));
}

/// What `/proc/PID/comm` says.
fn comm(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim_end().to_string()
}

/// Whether `pgrep -x NAME` lists `pid`.
fn pgrep_finds(name: &str, pid: u32) -> bool {
    let o = Command::new("pgrep").args(["-x", name]).output().expect("pgrep (procps)");
    stdout(&o).lines().any(|l| l.trim() == pid.to_string())
}

#[test]
fn ps_and_pgrep_see_each_program_by_its_own_name() {
    let sb = Sandbox::new();
    // supervise through its link, and svscan's supervise children.
    sb.service("a", "exec sleep 1000");
    let sup = sb.supervise(&bin("supervise"), "a");
    assert_eq!(comm(sup), "supervise");
    assert!(pgrep_finds("supervise", sup), "pgrep -x supervise does not list {sup}");
    let o = Command::new("ps").args(["-o", "comm=", "-p", &sup.to_string()]).output().unwrap();
    assert_eq!(stdout(&o).trim(), "supervise", "ps");
    fs::create_dir_all(sb.join("scan/b")).unwrap();
    write_script(&sb.join("scan/b/run"), "exec sleep 1000");
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("scan");
    let scan = sb.spawn(cmd, "svscan");
    sb.wait_up("scan/b", 0);
    assert_eq!(comm(scan), "svscan");
    assert!(pgrep_finds("svscan", scan));
    let kids = children(scan);
    assert_eq!(kids.len(), 1, "{kids:?}");
    assert_eq!(comm(kids[0]), "supervise", "svscan's supervise");
    assert!(pgrep_finds("supervise", kids[0]));
    // Called as `daemontools-rs supervise DIR`, it names itself supervise too.
    sb.service("c", "exec sleep 1000");
    let mut cmd = sb.command(multicall());
    cmd.args(["supervise", "c"]);
    let by_arg = sb.spawn(cmd, "supervise-c");
    sb.wait_up("c", 0);
    assert_eq!(comm(by_arg), "supervise");
    assert!(pgrep_finds("supervise", by_arg));
    // Run by the executable's file with argv[0] the program's name, too.
    sb.service("d", "exec sleep 1000");
    let mut cmd = sb.command("/bin/bash");
    cmd.args(["-c", &format!("exec -a supervise {} d", multicall().display())]);
    let by_zero = sb.spawn(cmd, "supervise-d");
    sb.wait_up("d", 0);
    assert_eq!(comm(by_zero), "supervise");

    // readproctitle: its own name, and the title it scrolls in its argv,
    // called by its link or by the executable's name.
    for (program, args) in
        [(bin("readproctitle"), &["x:", "........"][..]), (multicall(), &["readproctitle", "x:", "........"][..])]
    {
        let mut cmd = sb.command(&program);
        cmd.args(args).stdin(Stdio::piped()).process_group(0);
        let mut child = spawn_retrying(&mut cmd);
        let mut stdin = child.stdin.take().unwrap();
        let pid = sb.adopt(child);
        stdin.write_all(b"abc").unwrap();
        let title = || fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        wait_for(5000, "readproctitle to show abc", || title().ends_with(b"x:\0.....abc\0"));
        assert_eq!(comm(pid), "readproctitle", "{program:?}");
        drop(stdin);
        assert!(sb.wait_exit(pid, 5000).success());
    }
}

/// What `program args... sh -c CHECK` tells of its descriptor 1, started
/// with descriptor 1 closed: `closed`, or where it leads.
fn fd1_seen_through(sb: &Sandbox, program: &Path, args: &[&str]) -> String {
    let check =
        "if [ -e /proc/$$/fd/1 ]; then out=$(readlink /proc/$$/fd/1); echo \"$out\" >&2; else echo closed >&2; fi";
    let mut cmd = sb.command(program);
    cmd.args(args).args(["sh", "-c", check]).stdin(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: close(2) between fork and exec.
    unsafe { cmd.pre_exec(|| (libc::close(1) == 0).then_some(()).ok_or_else(std::io::Error::last_os_error)) };
    let o = spawn_retrying(&mut cmd).wait_with_output().unwrap();
    assert!(o.status.success(), "{program:?} {args:?}: {o:?}");
    stderr(&o).trim_end().to_string()
}

#[test]
fn chain_loaders_pass_a_closed_descriptor_on_closed_and_the_others_open_dev_null() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("env")).unwrap();
    let account = if unsafe { libc::geteuid() } == 0 { "root" } else { "" };
    // (setlock's lock takes the lowest descriptor free, as daemontools' does.)
    let mut loaders: Vec<(&str, Vec<&str>)> =
        vec![("envdir", vec!["env"]), ("pgrphack", vec![]), ("softlimit", vec!["-o", "100"])];
    if !account.is_empty() {
        loaders.extend([("envuidgid", vec![account]), ("setuidgid", vec![account])]);
    } else {
        eprintln!("SKIPPED setuidgid and envuidgid with fd 1 closed: not root");
    }
    for (prog, args) in &loaders {
        assert_eq!(fd1_seen_through(&sb, &bin(prog), args), "closed", "{prog} by its link");
        let by_name: Vec<&str> = [&[*prog][..], args].concat();
        assert_eq!(fd1_seen_through(&sb, &multicall(), &by_name), "closed", "daemontools-rs {prog}");
    }
    // supervise opens /dev/null on a closed descriptor, as Rust's runtime
    // did: its service finds its standard output there.
    sb.service("s", "out=$(readlink /proc/$$/fd/1); echo \"$out\" > fd1; exec sleep 1000");
    let mut cmd = sb.command(bin("supervise"));
    cmd.arg("s");
    // SAFETY: close(2) between fork and exec, after the sandbox's redirections.
    unsafe { cmd.pre_exec(|| (libc::close(1) == 0).then_some(()).ok_or_else(std::io::Error::last_os_error)) };
    let pid = sb.spawn(cmd, "supervise-s");
    wait_for(5000, "the service's fd1", || fs::read_to_string(sb.join("s/fd1")).is_ok_and(|s| s.ends_with('\n')));
    assert_eq!(fs::read_to_string(sb.join("s/fd1")).unwrap(), "/dev/null\n");
    assert_eq!(fs::read_link(format!("/proc/{pid}/fd/1")).unwrap(), Path::new("/dev/null"));
}
