//! The operator's view (issue 23): `svstat -l`, a table of every service,
//! and `svstat -p`, Prometheus' text exposition format checked by the real
//! `promtool check metrics`.

use crate::common::*;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

/// A sandbox with: `web` up, `my db` (a name with a space) failed by its
/// restart limit after exiting 3, `idle` that no supervise ever ran,
/// and a FIFO `odd/supervise/ok` held open over a corrupt status.
struct Mix {
    sb: Sandbox,
    _held: fs::File,
}

fn mix() -> Mix {
    let sb = Sandbox::new();
    sb.supervised("web", "exec sleep 300");
    let db = sb.service("my db", "exit 3");
    fs::write(db.join("restart-limit"), "1 60\n").unwrap();
    sb.supervise(&bin("supervise"), "my db");
    wait_for(5000, "my db to fail", || sb.run(bin("svstat"), &["my db"]).stdout().ends_with(", failed\n"));
    fs::create_dir(sb.join("idle")).unwrap();
    let odd = sb.join("odd/supervise");
    fs::create_dir_all(&odd).unwrap();
    mkfifo(&odd.join("ok"));
    let held = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(odd.join("ok")).unwrap();
    fs::write(odd.join("status"), "garbage").unwrap();
    Mix { sb, _held: held }
}

const DIRS: [&str; 5] = ["web", "my db", "idle", "odd", "nonexistent"];

#[test]
fn the_table_has_a_row_per_directory_with_what_an_operator_asks() {
    let m = mix();
    let out = m.sb.run(bin("svstat"), &["-l", DIRS[0], DIRS[1], DIRS[2], DIRS[3], DIRS[4]]).code(0).stdout();
    // The escaped space (`my\ db`) is one cell.
    let cells = out.replace("\\ ", "_");
    let rows: Vec<Vec<&str>> = cells.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "LAST", "READY", "CPU", "MEM"], "{out}");
    assert_eq!(rows.len(), 6, "{out}");
    let web = &rows[1];
    assert_eq!((web[0], web[1], web[4], web[5]), ("web", "up", "0", "-"), "{out}");
    assert!(web[2].parse::<u32>().is_ok() && web[3].ends_with('s') && web[8] != "-", "{out}");
    assert_eq!(&rows[2][..2], ["my_db", "failed"], "{out}");
    assert!(out.lines().nth(2).unwrap().starts_with("my\\ db  "), "{out}");
    assert_eq!(rows[2][5], "3", "its last exit code: {out}");
    assert_eq!(&rows[3][..2], ["idle", "unsupervised"], "{out}");
    assert_eq!(&rows[4][..2], ["odd", "error"], "{out}");
    assert!(out.lines().nth(4).unwrap().ends_with("unable to read supervise/status: bad format"), "{out}");
    assert!(out.lines().nth(5).unwrap().ends_with("unable to chdir: file does not exist"), "{out}");
    // Aligned: every row's STATE starts where the header's does.
    let col = out.lines().next().unwrap().find("STATE").unwrap();
    for line in out.lines().skip(1) {
        assert_eq!(line[col - 2..col].to_string(), "  ", "{out}");
        assert_ne!(&line[col..col + 1], " ", "{out}");
    }
    assert!(!out.contains('\x1b'), "no colour into a pipe");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let sb = Sandbox::new();
    sb.supervised("web", "exec sleep 300");
    // script(1) gives svstat a terminal.
    let cmd = format!("{} -l web", bin("svstat").display());
    let on_tty = sb.run("script", &["-qec", &cmd, "/dev/null"]).stdout();
    assert!(on_tty.contains("\x1b[32mup\x1b[0m"), "{on_tty:?}");
    let mut no_color = sb.command("script");
    no_color.args(["-qec", &cmd, "/dev/null"]).env("NO_COLOR", "1");
    let out = stdout(&no_color.output().unwrap());
    assert!(out.contains("up") && !out.contains("\x1b["), "{out:?}");
}

/// `promtool check metrics` on `text`: its verdict, or None without promtool.
fn promtool(sb: &Sandbox, text: &str) -> Option<(bool, String)> {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .current_dir(sb.path())
        .spawn()
    else {
        eprintln!("SKIPPED promtool: not installed (Debian's prometheus package)");
        return None;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    Some((o.status.success(), format!("{}{}", stdout(&o), stderr(&o))))
}

#[test]
fn the_metrics_pass_promtool_and_say_what_each_service_is() {
    let m = mix();
    let text = m.sb.run(bin("svstat"), &["-p", DIRS[0], DIRS[1], DIRS[2], DIRS[3], DIRS[4]]).code(0).stdout();
    if let Some((ok, said)) = promtool(&m.sb, &text) {
        assert!(ok && said.trim().is_empty(), "promtool: {said}\n{text}");
    }
    for sample in [
        "daemontools_service_up{service=\"web\"} 1",
        "daemontools_service_up{service=\"my db\"} 0",
        "daemontools_service_failed{service=\"my db\"} 1",
        "daemontools_service_last_exit_code{service=\"my db\"} 3",
        "daemontools_service_supervised{service=\"idle\"} 0",
        "daemontools_service_normally_up{service=\"idle\"} 1",
        "daemontools_service_error{service=\"odd\"} 1",
        "daemontools_service_error{service=\"nonexistent\"} 1",
        "daemontools_service_desired_up{service=\"web\"} 1",
    ] {
        assert!(text.lines().any(|l| l == sample), "{sample} missing:\n{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("daemontools_service_memory_bytes{service=\"web\"} ")), "{text}");
}

#[test]
fn hundreds_of_directories_and_names_that_need_escaping() {
    let sb = Sandbox::new();
    let mut names: Vec<String> = (0..300).map(|i| format!("svc{i:03}")).collect();
    names.extend(["a b".to_string(), "new\nline".to_string(), "quote\"back\\slash".to_string()]);
    for n in &names {
        fs::create_dir(sb.join(n)).unwrap();
    }
    let args: Vec<&str> = std::iter::once("-l").chain(names.iter().map(String::as_str)).collect();
    let table = sb.run(bin("svstat"), &args).code(0).stdout();
    assert_eq!(table.lines().count(), 304, "a header and a row each");
    assert!(
        table.contains("\na\\ b ") && table.contains("\nnew\\nline ") && table.contains("\nquote\"back\\\\slash "),
        "{table}"
    );
    let args: Vec<&str> = std::iter::once("-p").chain(names.iter().map(String::as_str)).collect();
    let text = sb.run(bin("svstat"), &args).code(0).stdout();
    assert!(
        text.contains("{service=\"new\\nline\"}") && text.contains("{service=\"quote\\\"back\\\\slash\"}"),
        "{text}"
    );
    if let Some((ok, said)) = promtool(&sb, &text) {
        assert!(ok, "promtool: {said}");
    }
    // Bytes that are not UTF-8 in a name: escaped in the table, replaced in a label.
    let odd = std::ffi::OsStr::from_bytes(b"x\xff");
    fs::create_dir(sb.path().join(odd)).unwrap();
    let o = sb.command(bin("svstat")).arg("-l").arg(odd).output().unwrap();
    assert!(stdout(&o).contains("\nx\\377 "), "{}", stdout(&o));
}

#[test]
fn plain_svstat_stays_daemontools_and_a_bad_option_is_a_directory() {
    let sb = Sandbox::new();
    sb.supervised("web", "exec sleep 300");
    let plain = sb.run(bin("svstat"), &["web"]).code(0).stdout();
    assert!(plain.starts_with("web: up (pid ") && plain.ends_with(" seconds\n"), "{plain}");
    // As daemontools' svstat, a name that looks like an option after the first is a directory.
    sb.run(bin("svstat"), &["web", "-l"]).code(0).stdout_has("-l: unable to chdir: file does not exist");
}

/// Our svscan on `scan` in the sandbox: its pid (TERM it at the end).
fn svscan_on(sb: &Sandbox, scan: &str) -> u32 {
    fs::create_dir_all(sb.join(scan)).unwrap();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg(scan);
    sb.spawn(cmd, "svscan")
}

/// The lines of a service's log so far, labels cut off.
fn logged_lines(dir: &std::path::Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join("log/main/current")).unwrap_or_default();
    text.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string()).collect()
}

#[test]
fn mksv_makes_a_service_that_runs_its_command_exactly_and_logs_it() {
    let sb = Sandbox::new();
    let scan = svscan_on(&sb, "service");
    let args: [&[u8]; 5] = [b"a b", b"it's", b"$(echo no) `x`", b"line\nbreak", b"\xff\\"];
    let mut cmd = sb.command(bin("mksv"));
    cmd.args(["-e", "PORT=8080", "-e", "TWO=one\ntwo", "-s", "service", "sv/web", "--", "sh", "-c"]);
    cmd.arg("printf '%s\\0' \"$@\" > args; echo \"port $PORT two $(echo \"$TWO\" | wc -l)\"; exec sleep 300");
    cmd.arg("sh");
    cmd.args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)));
    fs::create_dir(sb.join("sv")).unwrap();
    let o = cmd.output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
    // Up when mksv returns.
    let st = sb.status("service/web");
    assert!(st.pid != 0, "up when mksv returned");
    let web = sb.join("sv/web");
    wait_for(5000, "the arguments", || fs::metadata(web.join("args")).is_ok_and(|m| m.len() > 0));
    let got = fs::read(web.join("args")).unwrap();
    let want: Vec<u8> = args.iter().flat_map(|a| [*a, b"\0"].concat()).collect();
    assert_eq!(got, want, "every argument exact");
    wait_for(5000, "the log", || logged_lines(&web) == ["port 8080 two 2"]);
    assert!(fs::read_to_string(web.join("log/main/current")).unwrap().starts_with('@'), "labelled");
    assert!(fs::read_dir(sb.join("sv")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
    signal(scan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(scan, 10_000).code(), Some(0));
}

#[test]
fn mksv_runs_as_the_account_asked() {
    let sb = Sandbox::new();
    let scan = svscan_on(&sb, "service");
    fs::create_dir(sb.join("sv")).unwrap();
    let o =
        sb.run(bin("mksv"), &["-u", "nobody", "-s", "service", "sv/who", "--", "sh", "-c", "id -un; exec sleep 300"]);
    o.code(0);
    let who = sb.join("sv/who");
    wait_for(5000, "the account in the log", || logged_lines(&who) == ["nobody"]);
    signal(scan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(scan, 10_000).code(), Some(0));
}

#[test]
fn mksv_refuses_what_it_cannot_make_and_leaves_nothing_half_made() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("web")).unwrap();
    let usage = "mksv: usage: mksv [ -u user ] [ -e name=value ... ] [ -s scandir ] dir -- command [ arg ... ]\n";
    sb.run(bin("mksv"), &["web", "--", "true"])
        .code(111)
        .stderr_is("mksv: fatal: unable to make web: file already exists\n");
    sb.run(bin("mksv"), &["new", "true"]).code(100).stderr_is(usage);
    sb.run(bin("mksv"), &["new", "--"]).code(100).stderr_is(usage);
    sb.run(bin("mksv"), &["-e", "novalue", "new", "--", "true"])
        .code(100)
        .stderr_is(format!("mksv: fatal: bad -e novalue: not NAME=VALUE\n{usage}"));
    sb.run(bin("mksv"), &["-e", "A=x ", "new", "--", "true"])
        .code(100)
        .stderr_is("mksv: fatal: bad value for -e: envdir drops a value's trailing spaces and tabs\n");
    sb.run(bin("mksv"), &["-u", "no-such-user-here", "new", "--", "true"])
        .code(111)
        .stderr_is("mksv: fatal: unknown account no-such-user-here\n");
    // A parent that does not exist: nothing made, nothing left.
    sb.run(bin("mksv"), &["nodir/new", "--", "true"]).code(111).stderr_has("mksv: fatal: unable to make nodir/new: ");
    let left: Vec<String> =
        fs::read_dir(sb.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|n| n.contains("new") || n.contains(".mksv-")), "{left:?}");
    // -s with no svscan: made and linked, then a timeout (99) after 10 s is
    // too long for a test; a scan directory that does not exist fails at once.
    sb.run(bin("mksv"), &["-s", "nowhere", "made", "--", "true"])
        .code(111)
        .stderr_has("mksv: fatal: unable to link nowhere/made: ");
    assert!(sb.join("made/run").exists(), "made, though not linked");
}
