//! Logs people can use (issue 24): multilog's `t`, `S` and `p` actions
//! (and that daemontools' multilog runs the same scripts, ignoring them),
//! `svlog` reading, merging and following log directories, and `svlogfwd`
//! forwarding them to a real rsyslog started here on loopback and on a
//! unix socket.

use crate::common::*;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

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
    wait_for(4000, "the trickle's last rotation", || fs::read(dir.join("current")).is_ok_and(|c| c.is_empty()));
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
    let script = ["t", "s4096", "n100", "S10000", "pweb: ", "-*", "+* a fatal*", "e", "+*", "./main"];
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

/// A TAI64N label of `secs` seconds after the epoch.
fn label(secs: u64) -> String {
    format!("@{:016x}{:08x}", (1u64 << 62) + 10 + secs, 0)
}

/// A log directory `name` made by hand: archives named at `(secs, text)`, and `current`.
fn logdir(sb: &Sandbox, name: &str, archives: &[(u64, String)], current: &str) -> PathBuf {
    let dir = sb.join(name);
    fs::create_dir_all(&dir).unwrap();
    for (secs, text) in archives {
        fs::write(dir.join(format!("{}.s", label(*secs))), text).unwrap();
    }
    fs::write(dir.join("current"), current).unwrap();
    dir
}

/// Lines stamped at each of `secs`, saying `tag` and the second.
fn stamped(tag: &str, secs: impl IntoIterator<Item = u64>) -> String {
    secs.into_iter().map(|s| format!("{} {tag}{s}\n", label(s))).collect()
}

/// `cat @* current | tai64nlocal` in `dir`.
fn cat_local(sb: &Sandbox, dir: &Path) -> String {
    let o = sb
        .command("sh")
        .arg("-c")
        .arg(format!("cd {} && cat @* current | {}", dir.display(), bin("tai64nlocal").display()))
        .output()
        .unwrap();
    stdout(&o)
}

#[test]
fn svlog_prints_what_cat_and_tai64nlocal_print() {
    let sb = Sandbox::new();
    let svc = sb.join("web");
    fs::create_dir_all(svc.join("log")).unwrap();
    let (pid, mut w) = logger(&sb, &bin("multilog"), &["t", "s4096", "n50", "./web/log/main"], "ml");
    for i in 0..400 {
        w.write_all(format!("line {i} {}\n", "y".repeat(i % 70)).as_bytes()).unwrap();
    }
    // A line longer than the size: cut by the rotation, printed whole.
    w.write_all(format!("long {}\n", "z".repeat(9000)).as_bytes()).unwrap();
    drop(w);
    assert!(sb.wait_exit(pid, 5000).success());
    let main = svc.join("log/main");
    assert!(archives(&main).len() > 5);
    let want = cat_local(&sb, &main);
    assert_eq!(want.lines().count(), 401);
    sb.run(bin("svlog"), &["web/log/main"]).code(0).stdout_is(&want).stderr_is("");
    sb.run(bin("svlog"), &["web"]).code(0).stdout_is(&want);
    // No archive: where `cat @* current` fails.
    let fresh = logdir(&sb, "fresh", &[], &stamped("s", [5, 6]));
    sb.run(bin("svlog"), &["fresh"]).code(0).stdout_is(cat_local(&sb, &fresh));
}

#[test]
fn svlog_since_until_last_and_json() {
    let sb = Sandbox::new();
    let archives: Vec<(u64, String)> = (0..5)
        .map(|k| (1_795_288_000 + k * 100 + 99, stamped("n", (0..100).map(|s| 1_795_288_000 + k * 100 + s))))
        .collect();
    logdir(&sb, "d", &archives, &stamped("n", 1_795_288_500..1_795_288_600));
    let texts = |args: &[&str]| -> Vec<String> {
        let o = sb.run(bin("svlog"), args);
        o.code(0);
        o.stdout().lines().map(|l| l.rsplit(' ').next().unwrap().to_string()).collect()
    };
    // 2026-11-21T19:08:46Z is 1_795_288_126.
    let got = texts(&["-s", "2026-11-21T19:08:46Z", "-u", "2026-11-21T20:08:48+01:00", "d"]);
    assert_eq!(got, ["n1795288126", "n1795288127", "n1795288128"]);
    assert_eq!(texts(&["-n", "2", "d"]), ["n1795288598", "n1795288599"]);
    assert_eq!(texts(&["-n", "2", "-u", "2026-11-21T19:08:46Z", "d"]), ["n1795288125", "n1795288126"]);
    // The local form, as tai64nlocal prints it.
    let local = sb.run(bin("svlog"), &["-s", "2026-11-21T19:11:30Z", "-u", "2026-11-21T19:11:30Z", "d"]).stdout();
    let (when, _) = local.rsplit_once(' ').unwrap();
    assert_eq!(texts(&["-s", &when[..19], "-u", when, "d"]), ["n1795288290"]);
    assert_eq!(texts(&["-s", "1m", "d"]), Vec::<String>::new(), "all older than a minute");
    let o = sb.run(bin("svlog"), &["-j", "-n", "1", "d"]);
    let v: serde_json::Value = serde_json::from_str(o.code(0).stdout().trim()).unwrap();
    assert_eq!(v["time"], "2026-11-21T19:16:39.000000000Z");
    assert_eq!((v["dir"].as_str(), v["text"].as_str()), (Some("d"), Some("n1795288599")));

    let o = sb.run(bin("svlog"), &["-s", "2026-11-21T20:00:00Z", "-u", "2026-11-21T19:00:00Z", "d"]);
    o.code(100).stdout_is("");
    assert!(
        o.stderr().starts_with("svlog: fatal: -s 2026-11-21 ") && o.stderr().contains(" is after -u 2026-11-21 "),
        "{}",
        o.stderr()
    );
    assert_eq!(o.stderr().lines().count(), 1);
    let o = sb.run(bin("svlog"), &["-s", "yesterday", "d"]);
    o.code(100).stderr_has("svlog: fatal: bad time for -s: yesterday\nsvlog: usage: svlog ");
    sb.run(bin("svlog"), &["-n", "x", "d"]).code(100).stderr_has("bad number for -n: x");
    sb.run(bin("svlog"), &["-f", "-u", "1m", "d"]).code(100);
    sb.run(bin("svlog"), &[]).code(100);
    sb.run(bin("svlog"), &["nowhere"])
        .code(111)
        .stderr_is("svlog: fatal: unable to open directory nowhere: file does not exist\n");
}

#[test]
fn svlog_merges_by_time_and_takes_bad_input() {
    let sb = Sandbox::new();
    // b's clock jumped back after b30: its lines stay in file order.
    logdir(&sb, "a", &[(25, stamped("a", [10, 20]))], &stamped("a", [30, 40]));
    logdir(&sb, "b", &[], &format!("{}{}", stamped("b", [15, 30, 5]), stamped("b", [35])));
    let o = sb.run(bin("svlog"), &["a", "b"]);
    let got: Vec<String> = o.code(0).stdout().lines().map(|l| l.rsplit(' ').next().unwrap().to_string()).collect();
    assert_eq!(got, ["a10", "b15", "a20", "a30", "b30", "b5", "b35", "a40"]);
    let out = sb.run(bin("svlog"), &["-n", "3", "a", "b"]).code(0).stdout();
    assert_eq!(out.lines().map(|l| l.rsplit(' ').next().unwrap()).collect::<Vec<_>>(), ["b5", "b35", "a40"]);

    // Garbage for labels, an archive ending mid-line, one that cannot be read.
    let bad = logdir(&sb, "bad", &[(20, format!("{}half of a li", stamped("g", [10])))], "ne\n@zzzz not a label\n");
    fs::create_dir(bad.join(format!("{}.s", label(30)))).unwrap();
    let o = sb.run(bin("svlog"), &["bad"]);
    o.code(111).stderr_is(format!("svlog: warning: unable to read bad/{}.s: is a directory\n", label(30)));
    let out = o.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].ends_with(" g10") && !lines[0].starts_with('@'));
    assert_eq!(lines[1], "half of a line", "cut by the end of a file: whole");
    assert_eq!(lines[2], "@zzzz not a label");
}

/// Reads what `svlog` wrote so far (its stdout file) as lines.
fn out_lines(sb: &Sandbox, log: &str) -> Vec<String> {
    fs::read_to_string(sb.join(format!("{log}.out"))).unwrap_or_default().lines().map(String::from).collect()
}

#[test]
fn svlog_follows_across_rotations_and_a_missing_current() {
    let sb = Sandbox::new();
    let (ml, mut w) = logger(&sb, &bin("multilog"), &["t", "s4096", "n100", "./main"], "ml");
    w.write_all(b"before 1\nbefore 2\n").unwrap();
    wait_for(3000, "the first lines", || fs::read(sb.join("main/current")).is_ok_and(|c| c.len() > 60));
    let mut cmd = sb.command(bin("svlog"));
    cmd.args(["-f", "-n", "1", "main"]);
    let svlog = sb.spawn(cmd, "svlog");
    wait_for(3000, "the last line first", || out_lines(&sb, "svlog").len() == 1);
    assert!(out_lines(&sb, "svlog")[0].ends_with(" before 2"));
    // Lines as they come, within a second.
    let t0 = Instant::now();
    w.write_all(b"now\n").unwrap();
    wait_for(1500, "a new line", || out_lines(&sb, "svlog").len() == 2);
    assert!(t0.elapsed() < Duration::from_secs(1));
    // Many rotations, by size and by SIGALRM, while lines come.
    let mut want = vec!["before 2".to_string(), "now".to_string()];
    for i in 0..3000 {
        let l = format!("line {i} {}", "x".repeat(i % 50));
        w.write_all(format!("{l}\n").as_bytes()).unwrap();
        want.push(l);
        if i % 500 == 0 {
            signal(ml, libc::SIGALRM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while out_lines(&sb, "svlog").len() < want.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let got: Vec<String> =
        out_lines(&sb, "svlog").iter().map(|l| l.splitn(3, ' ').nth(2).unwrap().to_string()).collect();
    let first = got.iter().zip(&want).position(|(g, w)| g != w);
    assert_eq!(
        got.len(),
        want.len(),
        "first difference at {first:?}: {:?}",
        first.map(|i| (&got[i..got.len().min(i + 3)], &want[i..i + 3]))
    );
    assert_eq!(got, want, "none lost or twice");
    assert!(archives(&sb.join("main")).len() > 10);
    // current missing mid-follow: waited for, with a warning.
    drop(w);
    assert!(sb.wait_exit(ml, 5000).success());
    fs::remove_file(sb.join("main/current")).unwrap();
    wait_for(3000, "the warning", || sb.stderr_of("svlog").contains("main/current is missing: waiting for it"));
    fs::write(sb.join("main/current"), format!("{} back\n", label(5))).unwrap();
    wait_for(3000, "the line of the new current", || out_lines(&sb, "svlog").last().unwrap().ends_with(" back"));
    assert_eq!(sb.stderr_of("svlog").lines().count(), 1);
    let _ = svlog;
}

#[test]
fn svlog_f_stops_cleanly_when_its_reader_goes() {
    let sb = Sandbox::new();
    logdir(&sb, "d", &[], &stamped("x", [1, 2, 3]));
    let mut cmd = sb.command(bin("svlog"));
    cmd.args(["-f", "d"]).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = spawn_retrying(&mut cmd);
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    // Nothing more is written, and yet it ends: the pipe's reader is gone.
    let status = finish_within(&mut child, 3000, "svlog -f after its reader went");
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(err, "");
}

/// A free port on 127.0.0.1 (for TCP and UDP both, as far as one can tell).
fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A real rsyslogd, started in the sandbox on loopback (UDP and TCP on one
/// port) and on a unix socket of the sandbox, writing every message it gets
/// as `TIMESTAMP APP-NAME MSG` to a file; the guard kills it.
struct Rsyslog {
    port: u16,
    socket: PathBuf,
    out: PathBuf,
    pid: u32,
}

impl Rsyslog {
    fn start(sb: &Sandbox, name: &str, port: u16) -> Rsyslog {
        let rsyslogd = Path::new("/usr/sbin/rsyslogd");
        assert!(rsyslogd.exists(), "rsyslogd is missing: .ci/deps installs rsyslog");
        let dir = sb.join(name);
        fs::create_dir_all(&dir).unwrap();
        let (socket, out) = (dir.join("log.sock"), dir.join("out.log"));
        let conf = format!(
            "global(workDirectory=\"{d}\" maxMessageSize=\"64k\")\n\
             module(load=\"imudp\")\nmodule(load=\"imtcp\")\nmodule(load=\"imuxsock\" SysSock.Use=\"off\")\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{port}\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\")\n\
             input(type=\"imuxsock\" Socket=\"{s}\" UseSpecialParser=\"off\" IgnoreTimestamp=\"off\")\n\
             template(name=\"t\" type=\"string\" string=\"%timereported:::date-rfc3339% %app-name% %msg%\\n\")\n\
             *.* action(type=\"omfile\" file=\"{o}\" template=\"t\")\n",
            d = dir.display(),
            s = socket.display(),
            o = out.display(),
        );
        fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let mut cmd = sb.command(rsyslogd);
        cmd.arg("-n").arg("-f").arg(dir.join("rsyslog.conf")).arg("-i").arg(dir.join("pid"));
        let pid = sb.spawn(cmd, name);
        wait_for(30_000, "rsyslogd to listen", || {
            socket.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Rsyslog { port, socket, out, pid }
    }

    /// What it wrote: `(timestamp, app-name, msg)` of every message.
    fn got(&self) -> Vec<(String, String, String)> {
        let text = fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .map(|l| {
                let mut w = l.splitn(3, ' ');
                let mut next = || w.next().unwrap_or("").to_string();
                (next(), next(), next())
            })
            .collect()
    }
}

/// The RFC 3339 time, to the microsecond, of a label written by `label`.
fn rfc3339_of(secs: u64, micros: u32) -> String {
    let t = SystemTime::UNIX_EPOCH + Duration::new(secs, micros * 1000);
    humantime::format_rfc3339_micros(t).to_string()
}

#[test]
fn svlogfwd_sends_rfc5424_to_rsyslog_over_udp_tcp_and_a_unix_socket() {
    let sb = Sandbox::new();
    let rs = Rsyslog::start(&sb, "rsyslog", free_port());
    let svc = sb.join("web");
    fs::create_dir_all(svc.join("log/main")).unwrap();
    let long = "é".repeat(1500);
    let lines = format!(
        "{}{}\nno stamp here\n{}",
        stamped("udp", [1_795_288_126]),
        format_args!("{} {long}", label(1_795_288_127)),
        stamped("end", [1_795_288_128])
    );
    fs::write(svc.join("log/main").join(format!("{}.s", label(1_795_288_127))), &lines).unwrap();
    fs::write(svc.join("log/main/current"), stamped("cur", [1_795_288_200])).unwrap();
    let dests = [
        format!("udp:127.0.0.1:{}", rs.port),
        format!("tcp:127.0.0.1:{}", rs.port),
        format!("unix:{}", rs.socket.display()),
    ];
    let mut pids = Vec::new();
    for (i, dest) in dests.iter().enumerate() {
        let mut cmd = sb.command(bin("svlogfwd"));
        cmd.args(["-c", &format!("cursor{i}"), "-m", "1024", dest, "web"]);
        pids.push(sb.spawn(cmd, &format!("fwd{i}")));
    }
    // Each line: one message, but the long one, split (1024 bytes a message at most).
    let pieces = 3000usize.div_ceil(1024 - "<30>1 2026-11-21T19:08:47.000000Z vm web - - - ".len()) + 1;
    wait_for(30_000, "every message thrice", || rs.got().len() >= 3 * (4 + pieces - 1));
    std::thread::sleep(Duration::from_millis(300));
    let got = rs.got();
    assert_eq!(got.len(), 3 * (4 + pieces - 1), "{got:#?}");
    for (time, app, msg) in &got {
        assert_eq!(app, "web", "{time} {msg}");
    }
    let find = |text: &str| got.iter().filter(|g| g.2 == text).map(|g| g.0.clone()).collect::<Vec<_>>();
    assert_eq!(find("udp1795288126"), vec![rfc3339_of(1_795_288_126, 0); 3], "the line's own time");
    assert_eq!(find("cur1795288200").len(), 3);
    assert_eq!(find("no stamp here").len(), 3, "a line without a stamp goes too");
    let split: String = got.iter().filter(|g| g.2.starts_with('é')).map(|g| g.2.as_str()).collect();
    assert_eq!(split, long.repeat(3), "split where characters begin, nothing lost");
    for i in 0..3 {
        assert_eq!(sb.stderr_of(&format!("fwd{i}")), "");
    }
    let _ = (pids, rs.pid);
}

#[test]
fn svlogfwd_resumes_after_its_cursor_and_waits_for_a_server_that_is_down() {
    let sb = Sandbox::new();
    let port = free_port();
    let (ml, mut w) = logger(&sb, &bin("multilog"), &["t", "s4096", "n100", "./main"], "ml");
    for i in 0..200 {
        w.write_all(format!("first {i}\n").as_bytes()).unwrap();
    }
    // Not before multilog made its directory (svlogfwd would find none).
    wait_for(15_000, "multilog to make its directory", || sb.join("main/current").exists());
    // No server yet: it waits, and says so once.
    let mut cmd = sb.command(bin("svlogfwd"));
    cmd.args(["-a", "app", &format!("tcp:127.0.0.1:{port}"), "main"]);
    let fwd = sb.spawn(cmd, "fwd");
    wait_for(15_000, "the warning", || sb.stderr_of("fwd").contains("unable to send to tcp:127.0.0.1:"));
    let rs = Rsyslog::start(&sb, "rsyslog", port);
    wait_for(30_000, "the lines held back", || rs.got().len() >= 200);
    let warned = sb.stderr_of("fwd");
    assert_eq!(warned.lines().count(), 1, "{warned}");
    assert!(warned.ends_with(", retrying: connection refused\n"), "{warned}");
    // Killed at any moment while lines come, then started again: each line
    // arrives, and no more than the last one sent twice.
    let mut fwd = fwd;
    for round in 0..5 {
        for i in 0..300 {
            w.write_all(format!("round {round} line {i}\n").as_bytes()).unwrap();
        }
        std::thread::sleep(Duration::from_millis(30 + 37 * round));
        signal(fwd, libc::SIGKILL);
        sb.wait_exit(fwd, 3000);
        signal(ml, libc::SIGALRM);
        let mut cmd = sb.command(bin("svlogfwd"));
        cmd.args(["-a", "app", &format!("tcp:127.0.0.1:{port}"), "main"]);
        fwd = sb.spawn(cmd, &format!("fwd{round}"));
    }
    let total = 200 + 5 * 300;
    let distinct = || {
        let mut texts: Vec<String> = rs.got().into_iter().map(|g| g.2).collect();
        texts.sort();
        texts.dedup();
        texts
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while distinct().len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = distinct();
    let all: Vec<String> = (0..200)
        .map(|i| format!("first {i}"))
        .chain((0..5).flat_map(|r| (0..300).map(move |i| format!("round {r} line {i}"))))
        .collect();
    let missing: Vec<&String> = all.iter().filter(|t| seen.binary_search(t).is_err()).collect();
    let errs: Vec<String> = (0..5).map(|r| sb.stderr_of(&format!("fwd{r}"))).collect();
    assert!(
        missing.is_empty(),
        "{} missing, first {:?}; stderr {errs:?}; files {:?}",
        missing.len(),
        &missing[..missing.len().min(5)],
        archives(&sb.join("main")).len()
    );
    std::thread::sleep(Duration::from_millis(500));
    let got = rs.got();
    let mut counts = std::collections::HashMap::new();
    for g in &got {
        *counts.entry(g.2.clone()).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), total, "every line, once at least");
    let twice = counts.values().filter(|&&n| n > 1).count();
    assert!(counts.values().all(|&n| n <= 2) && twice <= 5, "{twice} lines twice (5 kills)");
    assert!(got.iter().all(|g| g.1 == "app"));
    drop(w);
}
