//! multilog against daemontools' own, byte for byte (timestamps masked), and
//! what daemontools' cannot do: no line lost when killed, or when the disk
//! fills up.

use crate::common::*;
use std::fs;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A small deterministic generator, so every run feeds the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` numbered lines of `lo..=hi` extra bytes.
fn lines(rng: &mut Rng, n: usize, lo: u64, hi: u64) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        v.extend_from_slice(format!("{i} ").as_bytes());
        v.extend(std::iter::repeat_n(b'q', (lo + rng.below(hi - lo + 1)) as usize));
        v.push(b'\n');
    }
    v
}

/// Replaces every TAI64N label (`@` and 24 hex digits) by `@STAMP`.
fn mask(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let label = bytes[i] == b'@'
            && bytes.len() >= i + 25
            && bytes[i + 1..i + 25].iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
        if label {
            out.extend_from_slice(b"@STAMP");
            i += 25;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Every file under `root`: masked path, mode and masked contents, archives in name order.
fn snapshot(root: &Path) -> Vec<(String, u32, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, u32, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let m = fs::metadata(&p).unwrap();
            if m.is_dir() {
                walk(&p, root, out);
                continue;
            }
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let masked = String::from_utf8_lossy(&mask(rel.as_bytes())).into_owned();
            let text = String::from_utf8_lossy(&mask(&fs::read(&p).unwrap())).into_owned();
            out.push((masked, m.permissions().mode() & 0o777, text));
        }
    }
    let mut v = Vec::new();
    walk(root, root, &mut v);
    v
}

/// Runs `prog` with `script` (`DIR` standing for `root`) and a file holding `input` on stdin.
fn run_logger(sb: &Sandbox, prog: &Path, script: &[&str], input: &[u8], root: &Path) -> (Option<i32>, String) {
    let name = root.file_name().unwrap().to_string_lossy();
    let input_file = sb.join(format!("input-{name}"));
    fs::write(&input_file, input).unwrap();
    let err_file = sb.join(format!("stderr-{name}"));
    let args: Vec<String> = script.iter().map(|a| a.replace("DIR", root.to_str().unwrap())).collect();
    let mut child = sb
        .command(prog)
        .args(&args)
        .stdin(fs::File::open(&input_file).unwrap())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err_file).unwrap())
        .spawn()
        .unwrap();
    let code = finish_within(&mut child, 20_000, &format!("{} {args:?}", prog.display())).code();
    let err = String::from_utf8_lossy(&mask(&fs::read(&err_file).unwrap())).replace(root.to_str().unwrap(), "ROOT");
    (code, err)
}

/// Runs our multilog and daemontools' on the same script and input, each
/// in a directory seeded with `seed` (name, contents, mode under `main/`),
/// and asserts that both succeed, with the same stderr and files.
fn same_as_daemontools(case: &str, script: &[&str], input: &[u8], seed: &[(&str, &[u8], u32)]) {
    let sb = Sandbox::new();
    let mut results = Vec::new();
    for (prog, name) in [(bin("multilog"), "ours"), (real("multilog"), "theirs")] {
        let root = sb.join(name);
        fs::create_dir_all(root.join("main")).unwrap();
        for (file, data, mode) in seed {
            let p = root.join("main").join(file);
            fs::write(&p, data).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
        }
        let (code, err) = run_logger(&sb, &prog, script, input, &root);
        results.push((code, err, snapshot(&root)));
    }
    let (ours, theirs) = (&results[0], &results[1]);
    assert_eq!((ours.0, theirs.0), (Some(0), Some(0)), "{case}: exit codes, ours then daemontools', script {script:?}");
    assert!(
        ours.1 == theirs.1,
        "{case}: stderr differs, script {script:?}:\n{:.2000}\n---\n{:.2000}",
        ours.1,
        theirs.1
    );
    let names = |s: &Vec<(String, u32, String)>| s.iter().map(|f| (f.0.clone(), f.1, f.2.len())).collect::<Vec<_>>();
    assert_eq!(names(&ours.2), names(&theirs.2), "{case}: files (name, mode, size), script {script:?}");
    assert!(ours.2 == theirs.2, "{case}: file contents differ, script {script:?}");
}

#[test]
fn rotation_and_long_lines_match_daemontools() {
    let mut rng = Rng(1);
    let mut cases: Vec<(&str, Vec<&str>, Vec<u8>)> = vec![
        ("short lines", vec!["s4096", "n100", "DIR/main"], lines(&mut rng, 500, 0, 20)),
        ("85-byte lines", vec!["s4096", "n100", "DIR/main"], lines(&mut rng, 500, 80, 90)),
        ("about 1000 bytes", vec!["s4096", "n100", "DIR/main"], lines(&mut rng, 200, 900, 1100)),
        ("longer than s", vec!["s4096", "n100", "DIR/main"], lines(&mut rng, 50, 3000, 9000)),
        ("timestamps", vec!["t", "s4096", "n100", "DIR/main"], lines(&mut rng, 500, 0, 1100)),
        ("pruning", vec!["s5000", "n5", "DIR/main"], lines(&mut rng, 2000, 0, 300)),
        ("two directories", vec!["s4096", "DIR/a", "s8000", "n3", "DIR/b"], lines(&mut rng, 3000, 0, 50)),
        ("unknown actions and t later", vec!["DIR/a", "q", "tfoo", "DIR/b"], lines(&mut rng, 30, 0, 10)),
        ("one line, no newline", vec!["s4096", "DIR/a"], vec![b'y'; 20000]),
        ("empty input", vec!["DIR/main"], Vec::new()),
        ("blank lines", vec!["t", "DIR/main"], b"\n\n\nx".to_vec()),
    ];
    let mut last = lines(&mut rng, 3000, 0, 200);
    last.extend_from_slice(b"no newline at the end");
    cases.push(("last line without newline", vec!["DIR/main"], last));
    // Lines whose windows (timestamp included) end just before, at and after 1000 bytes.
    let mut edge = Vec::new();
    for n in [973, 974, 975, 976, 999, 1000, 1001] {
        edge.extend(std::iter::repeat_n(b'w', n));
        edge.push(b'\n');
    }
    edge.extend(std::iter::repeat_n(b'v', 975));
    cases.push(("window edges with t", vec!["t", "s4096", "DIR/a"], edge.clone()));
    cases.push(("window edges", vec!["s4096", "DIR/a"], edge));
    // Binary input: every byte value, NULs and newlines among them.
    let binary: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert!(binary.contains(&0) && binary.contains(&b'\n'));
    cases.push(("binary with NUL bytes", vec!["t", "s4096", "n5", "DIR/main"], binary.clone()));
    cases.push(("binary, selected and alerted", vec!["-*", "+*\x01*", "e", "s8192", "DIR/main"], binary));
    // One line of 10 MB, split across files as daemontools splits it.
    let mut huge = vec![b'h'; 10 << 20];
    huge.push(b'\n');
    cases.push(("a 10 MB line", vec!["s1000000", "n20", "DIR/main"], huge));
    for (case, script, input) in &cases {
        same_as_daemontools(case, script, input, &[]);
    }
}

#[test]
fn patterns_alerts_and_status_files_match_daemontools() {
    let mut rng = Rng(2);
    let input = lines(&mut rng, 300, 0, 1500);
    same_as_daemontools(
        "select and deselect",
        &["-*", "+*3*", "DIR/a", "+*", "-*5", "DIR/b", "e", "=DIR/st"],
        &input,
        &[],
    );
    same_as_daemontools("with timestamps", &["t", "-*", "+* 1*", "DIR/a", "=DIR/st"], &input, &[]);
    same_as_daemontools("alerts only", &["e"], &lines(&mut rng, 30, 0, 300), &[]);
    // Random input and patterns over bytes no timestamp holds.
    for i in 0..20 {
        let data: Vec<u8> = (0..rng.below(40000)).map(|_| b"xy\n\n*z"[rng.below(6) as usize]).collect();
        let size = ["s4096", "s5000", "s7000"][i % 3];
        let stamp = if i % 2 == 0 { "t" } else { "n50" };
        same_as_daemontools(
            &format!("random {i}"),
            &[stamp, size, "DIR/main", "-*x", "+*z*y", "e", "DIR/m2"],
            &data,
            &[],
        );
    }
}

#[test]
fn crash_recovery_and_processor_match_daemontools() {
    let mut rng = Rng(3);
    let input = lines(&mut rng, 100, 0, 200);
    let mut archives: Vec<(String, &[u8], u32)> =
        (0..15).map(|i| (format!("@40000000000000000000{i:04x}.s"), b"a\n".as_slice(), 0o744)).collect();
    archives.push(("@400000000000000000000099.u".into(), b"u\n", 0o644));
    archives.push(("current".into(), b"c\n", 0o644));
    let archives: Vec<(&str, &[u8], u32)> = archives.iter().map(|(n, d, m)| (n.as_str(), *d, *m)).collect();
    // (what is in the directory at the start: name, contents, mode)
    type Files<'a> = Vec<(&'a str, &'a [u8], u32)>;
    let seeds: Vec<(&str, Files)> = vec![
        ("clean current", vec![("current", b"old\n", 0o744), ("state", b"S", 0o644)]),
        ("unclean current", vec![("current", b"old\n", 0o644), ("state", b"S", 0o644), ("newstate", b"N", 0o644)]),
        ("empty unclean current", vec![("current", b"", 0o644)]),
        (
            "unprocessed previous",
            vec![("current", b"cur\n", 0o644), ("previous", b"prev\n", 0o744), ("processed", b"half", 0o644)],
        ),
        (
            "processed done",
            vec![
                ("current", b"cur\n", 0o644),
                ("previous", b"prev\n", 0o744),
                ("processed", b"done\n", 0o744),
                ("newstate", b"x", 0o644),
            ],
        ),
        ("many archives", archives),
    ];
    let processor = "!tr a-z A-Z; echo st >&5; cat <&4 >&5";
    for (case, seed) in &seeds {
        for script in [
            vec!["s4096", "n4", "DIR/main"],
            vec!["s4096", "n40", "DIR/main"],
            vec!["s4096", "n6", processor, "DIR/main"],
            vec!["s4096", "n60", processor, "DIR/main"],
        ] {
            same_as_daemontools(case, &script, &input, seed);
        }
    }
    let input = lines(&mut rng, 300, 0, 200);
    for script in [
        vec!["s4096", "!sed s/q/Q/g; cat state >&2; wc -c <&4 >&5; echo ok >&5", "DIR/main"],
        vec!["s4096", "n3", "!gzip -n", "DIR/main"],
        vec!["s4096", "!exit 0", "DIR/main"],
        // The processor's $0 is `sh`, as daemontools runs it.
        vec!["s4096", "!echo \"$0\"; cat", "DIR/main"],
    ] {
        same_as_daemontools("processor", &script, &input, &[]);
    }
}

#[test]
fn bad_directories_fail_as_daemontools() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    for script in [vec!["./file"], vec!["./missing/deeper/main"], vec!["=./missing/st"]] {
        let ours = sb.run(bin("multilog"), &script);
        let theirs = sb.run(real("multilog"), &script);
        ours.code(111);
        assert_eq!((ours.status.code(), stderr(&ours)), (theirs.status.code(), stderr(&theirs)), "{script:?}");
    }
}

/// A pipe whose ends the test holds, as svscan holds a logger's.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Starts `prog args` in the sandbox reading `input`.
fn start(sb: &Sandbox, prog: &Path, args: &[&str], input: &OwnedFd, stderr: Stdio) -> Child {
    sb.command(prog).args(args).stdin(input.try_clone().unwrap()).stdout(Stdio::null()).stderr(stderr).spawn().unwrap()
}

/// Bytes a process has read with read(2), from /proc/PID/io.
fn rchar(pid: u32) -> u64 {
    io_count(pid, "rchar")
}

/// A count of /proc/PID/io: `rchar`, `wchar` (bytes written), `syscw`...
fn io_count(pid: u32, name: &str) -> u64 {
    let io = fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(": ")).map_or(0, |n| n.parse().unwrap())
}

#[test]
fn lock_alarm_and_term() {
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let mut w = fs::File::from(w);
    let mut child = start(&sb, &bin("multilog"), &["./main"], &r, Stdio::null());
    let pid = child.id();
    let current = sb.join("main/current");
    w.write_all(b"first\n").unwrap();
    wait_for(3000, "the first line", || fs::read_to_string(&current).unwrap_or_default() == "first\n");

    sb.run(bin("multilog"), &["./main"])
        .code(111)
        .stderr_is("multilog: fatal: unable to lock directory ./main: temporary failure\n");

    signal(pid, libc::SIGALRM);
    let archives = || {
        fs::read_dir(sb.join("main"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".s"))
            .count()
    };
    wait_for(3000, "a rotation", || archives() == 1);
    assert_eq!(fs::read_to_string(&current).unwrap(), "");

    // TERM mid-line: the line is finished first, nothing past it is taken, then multilog exits 0.
    let before = rchar(pid);
    w.write_all(b"half a ").unwrap();
    wait_for(3000, "multilog to read the half line", || rchar(pid) >= before + 7);
    signal(pid, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "exited mid-line");
    w.write_all(b"line\nthe next line stays in the pipe\n").unwrap();
    let status = finish_within(&mut child, 3000, "multilog after TERM and a newline");
    assert_eq!(status.code(), Some(0));
    assert_eq!(fs::read_to_string(&current).unwrap(), "half a line\n");
    assert_eq!(fs::metadata(&current).unwrap().permissions().mode() & 0o777, 0o744);
    unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut rest = [0u8; 100];
    let n = nix::unistd::read(&r, &mut rest).unwrap_or(0);
    assert_eq!(&rest[..n], b"the next line stays in the pipe\n");
}

#[test]
fn stamps_t_and_rfc3339() {
    let sb = Sandbox::new();
    for (script, dir) in [("t", "./tai"), ("T", "./rfc")] {
        let mut child = sb.command(bin("multilog")).args([script, dir]).stdin(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"one\n\ntwo").unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let tai = fs::read_to_string(sb.join("tai/current")).unwrap();
    let tai: Vec<&str> = tai.lines().collect();
    assert_eq!(tai.len(), 3);
    for (line, text) in tai.iter().zip(["one", "", "two"]) {
        let label = daemontools::tai64::parse_label(line.as_bytes()).expect("a TAI64N label");
        assert!((daemontools::tai64::unix_secs(label) - now).abs() < 60);
        assert_eq!(&line[25..], format!(" {text}"));
    }
    let rfc = fs::read_to_string(sb.join("rfc/current")).unwrap();
    let rfc: Vec<&str> = rfc.lines().collect();
    assert_eq!(rfc.len(), 3);
    for (line, text) in rfc.iter().zip(["one", "", "two"]) {
        let stamp = &line[..27];
        let t = humantime::parse_rfc3339(stamp).unwrap_or_else(|e| panic!("{stamp}: {e}"));
        let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((secs - now).abs() < 60, "{stamp}");
        assert!(stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T' && stamp.as_bytes()[19] == b'.', "{stamp}");
        assert_eq!(&line[27..], format!(" {text}"));
    }
}

/// What a kill test found in a log directory: which of `total` numbered
/// lines are there, how many twice or more and how many copies beyond the
/// first in all, and how many broken pieces: all of them, and those that
/// are not the unfinished last line of a `.u` file (the start of a line
/// whose write a kill cut short, logged again whole by the next multilog).
struct Tally {
    missing: usize,
    twice: usize,
    extra: usize,
    most: u32,
    pieces: usize,
    inner_pieces: usize,
}

fn tally(dir: &Path, total: usize) -> Tally {
    let mut seen = vec![0u32; total];
    let (mut pieces, mut inner_pieces) = (0, 0);
    for (name, text) in log_files(dir) {
        let unfinished = !text.is_empty() && !text.ends_with(b"\n");
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for (k, line) in lines.iter().enumerate() {
            let n = line
                .get(26..)
                .and_then(|l| l.strip_prefix(b"line "))
                .map(|n| n.split(|&b| b == b' ').next().unwrap())
                .filter(|n| n.len() == 7);
            let last = k == lines.len() - 1;
            match n.and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok()) {
                Some(i) if i < total && !(last && unfinished) => seen[i] += 1,
                _ if line.is_empty() => {}
                _ => {
                    pieces += 1;
                    if !(last && unfinished && name.ends_with(".u")) {
                        inner_pieces += 1;
                    }
                }
            }
        }
    }
    Tally {
        missing: seen.iter().filter(|&&c| c == 0).count(),
        twice: seen.iter().filter(|&&c| c > 1).count(),
        extra: seen.iter().map(|&c| c.saturating_sub(1) as usize).sum(),
        most: seen.iter().copied().max().unwrap_or(0),
        pieces,
        inner_pieces,
    }
}

/// Writes `data` in random pieces of 1 to `most` bytes, `pause` apart,
/// holding back its last tenth until `gate` says the kills are done, so
/// that every kill lands mid-stream.
fn write_in_pieces(
    w: &mut fs::File,
    data: &[u8],
    gate: std::sync::mpsc::Receiver<()>,
    rng: &mut Rng,
    most: u64,
    pause: Duration,
) {
    let mut rest = data;
    let mut gate = Some(gate);
    while !rest.is_empty() {
        if rest.len() < data.len() / 10 {
            if let Some(g) = gate.take() {
                let _ = g.recv();
            }
        }
        let n = (1 + rng.below(most) as usize).min(rest.len());
        w.write_all(&rest[..n]).unwrap();
        rest = &rest[n..];
        std::thread::sleep(pause);
    }
}

/// A writer sends `total` numbered lines through a pipe the test holds
/// open, in pieces that split lines, while the logger is killed with
/// SIGKILL `kills` times at random moments and started again on the same
/// pipe. Each is stopped first, to read how many bytes it had written by
/// then. Returns the tally and those counts.
fn kill_repeatedly(sb: &Sandbox, prog: &Path, dir: &str, total: usize, kills: usize, seed: u64) -> (Tally, Vec<u64>) {
    let (r, w) = pipe();
    // The writer keeps its last tenth until the kills are done, so that every kill lands mid-stream.
    let (kills_done, gate) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut w = fs::File::from(w);
        let mut rng = Rng(seed);
        let mut data = Vec::with_capacity(total * 13);
        for i in 0..total {
            data.extend_from_slice(format!("line {i:07}\n").as_bytes());
        }
        write_in_pieces(&mut w, &data, gate, &mut rng, 8192, Duration::from_micros(500));
    });
    let mut rng = Rng(seed ^ 0x5555);
    let args = ["t", "s100000", "n1000", dir];
    let mut written = Vec::with_capacity(kills);
    for _ in 0..kills {
        let mut child = start(sb, prog, &args, &r, Stdio::null());
        std::thread::sleep(Duration::from_micros(rng.below(4000)));
        let pid = child.id();
        signal(pid, libc::SIGSTOP);
        wait_for(5000, "the logger to stop", || proc_state(pid) == "T");
        written.push(io_count(pid, "wchar"));
        let _ = child.kill();
        let _ = child.wait();
    }
    kills_done.send(()).unwrap();
    let mut last = start(sb, prog, &args, &r, Stdio::null());
    // With our end closed, a logger that stalls fails the writer instead of hanging it.
    drop(r);
    let status = finish_within(&mut last, 60_000, "the last logger");
    writer.join().unwrap();
    assert_eq!(status.code(), Some(0));
    (tally(&sb.join(dir), total), written)
}

#[test]
fn sigkill_a_hundred_times_loses_no_line() {
    let sb = Sandbox::new();
    let (total, kills) = (1_000_000, 100);
    let (ours, written) = kill_repeatedly(&sb, &bin("multilog"), "./ours", total, kills, 11);
    let (theirs, _) = kill_repeatedly(&sb, &real("multilog"), "./theirs", total, kills, 11);
    // What a killed multilog logged and had not let go of yet, the next
    // one logs again: at most one 256 KiB slice of input (20,165 lines of
    // 13 bytes), and no more than it wrote (39 bytes a line with its stamp).
    let slice_lines = (256 * 1024) / 13 + 1;
    let bound: u64 = written.iter().map(|&w| (w / 39).min(slice_lines)).sum();
    eprintln!(
        "{kills} SIGKILLs, {total} lines: ours lost {}, logged {} more than once ({} copies too many, a line at most \
         {} times; bound {bound}), {} broken pieces ({} but the unfinished end of a .u file); daemontools' lost {}, \
         logged {} more than once, {} broken pieces",
        ours.missing,
        ours.twice,
        ours.extra,
        ours.most,
        ours.pieces,
        ours.inner_pieces,
        theirs.missing,
        theirs.twice,
        theirs.pieces
    );
    assert_eq!(ours.missing, 0, "lines lost");
    assert!(ours.extra as u64 <= bound, "{} copies too many: more than the killed loggers' slices", ours.extra);
    assert_eq!(ours.inner_pieces, 0, "a broken line, other than the unfinished end of a .u file");
    assert!(ours.pieces <= kills, "more broken pieces than kills");
    assert!(theirs.missing > 0, "the same test must catch daemontools' losses, or it proves nothing");
}

#[test]
fn a_full_disk_pauses_and_loses_nothing() {
    let sb = Sandbox::new();
    let small = sb.join("small");
    fs::create_dir(&small).unwrap();
    let probe = sb.run("/usr/bin/unshare", &["-m", "sh", "-c", "mount -t tmpfs -o size=64k none small && echo ok"]);
    if stdout(&probe) != "ok\n" {
        eprintln!(
            "SKIPPED a_full_disk_pauses_and_loses_nothing: cannot mount a tmpfs here ({})",
            stderr(&probe).trim()
        );
        return;
    }
    let (r, w) = pipe();
    let mut w = fs::File::from(w);
    let script =
        format!("mount -t tmpfs -o size=1m none small && exec {} s4096 n1000 ./small/main", bin("multilog").display());
    let err = fs::File::create(sb.join("multilog.err")).unwrap();
    let mut cmd = sb.command("/usr/bin/unshare");
    cmd.args(["-m", "sh", "-c", &script]).stdin(r.try_clone().unwrap()).stdout(Stdio::null()).stderr(err);
    let mut child = cmd.spawn().unwrap();
    // The tmpfs is seen through the process's own root.
    let inside = PathBuf::from(format!("/proc/{}/root{}", child.id(), small.display()));
    wait_for(5000, "the log directory", || inside.join("main/current").exists());
    let mut filler = fs::File::create(inside.join("filler")).unwrap();
    let chunk = vec![b'f'; 4096];
    while filler.write_all(&chunk).is_ok() {}
    drop(filler);

    let total = 20_000;
    let data: Vec<u8> = (0..total).flat_map(|i| format!("line {i:07}\n").into_bytes()).collect();
    let feeder = std::thread::spawn(move || {
        w.write_all(&data).unwrap();
        w
    });
    wait_for(5000, "the warning", || {
        fs::read_to_string(sb.join("multilog.err")).unwrap_or_default().contains("out of disk space")
    });
    let warning = fs::read_to_string(sb.join("multilog.err")).unwrap();
    assert!(
        warning
            .lines()
            .next()
            .unwrap()
            .starts_with("multilog: warning: unable to write to ./small/main/current, pausing: out of disk space"),
        "{warning}"
    );
    fs::remove_file(inside.join("filler")).unwrap();
    let logged = || -> usize {
        fs::read_dir(inside.join("main"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name() == "current" || e.file_name().to_string_lossy().starts_with('@'))
                    .map(|e| fs::read(e.path()).unwrap_or_default().iter().filter(|&&b| b == b'\n').count())
                    .sum()
            })
            .unwrap_or(0)
    };
    wait_for(20000, "every line after space came back", || logged() == total);
    let w = feeder.join().unwrap();
    let mut text = Vec::new();
    let mut names: Vec<_> = fs::read_dir(inside.join("main")).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    for n in names
        .iter()
        .filter(|n| n.to_string_lossy().starts_with('@'))
        .chain([std::ffi::OsString::from("current")].iter())
    {
        text.extend(fs::read(inside.join("main").join(n)).unwrap());
    }
    let expected: Vec<u8> = (0..total).flat_map(|i| format!("line {i:07}\n").into_bytes()).collect();
    assert!(text == expected, "the log is not every line once, in order");
    drop(w);
    assert_eq!(finish_within(&mut child, 5000, "multilog at the end of its input").code(), Some(0));
}

/// The size of the pipe `fd` is an end of.
fn pipe_size(fd: &OwnedFd) -> i32 {
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) }
}

#[test]
fn a_pipe_full_of_hundred_byte_lines_is_grown_to_a_mebibyte() {
    // Each 100-byte line its own write, as a line-buffered service writes:
    // 40 share a 4 KiB page and the 41st takes a new one, so a full 64 KiB
    // pipe holds 64,000 bytes, never its size. multilog tells it is full by
    // its pages and grows it to 1 MiB, and goes on logging every line once.
    let sb = Sandbox::new();
    let line = |i: usize| format!("line {i:07} {}\n", "x".repeat(86)).into_bytes();
    assert_eq!(line(0).len(), 100);
    let (total, more) = (640, 3000);
    fs::create_dir(sb.join("ours")).unwrap();
    let (r, w) = pipe();
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, 65536) };
    assert_eq!(pipe_size(&w), 65536);
    // Filled before multilog starts: a line a write, until no page is left.
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut filled = 0;
    while nix::unistd::write(&w, &line(filled)).is_ok() {
        filled += 1;
    }
    assert_eq!(filled, total, "16 pages of 40 lines: 64,000 bytes fill the 64 KiB pipe");
    let mut child = sb
        .command(bin("multilog"))
        .args(["t", "s99999", "n100", "./main"])
        .current_dir(sb.join("ours"))
        .stdin(r.try_clone().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(r);
    // The writer, blocked on the full pipe, goes on once multilog reads.
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, 0) };
    let (done, wrote) = std::sync::mpsc::channel();
    let mut writer = fs::File::from(w.try_clone().unwrap());
    std::thread::spawn(move || done.send((total..total + more).all(|i| writer.write_all(&line(i)).is_ok())));
    assert_eq!(wrote.recv_timeout(Duration::from_secs(10)), Ok(true), "the writer stayed blocked");
    let grown = pipe_size(&w);
    drop(w);
    assert_eq!(finish_within(&mut child, 10_000, "multilog at the end of its input").code(), Some(0));
    eprintln!("pipe size once multilog had read it: {grown}");
    assert_eq!(grown, 1 << 20, "the pipe found full is grown to 1 MiB");
    let log = whole_log(&sb.join("ours/main"));
    let expected: Vec<u8> = (0..total + more).flat_map(|i| [b"@STAMP ".as_slice(), &line(i)].concat()).collect();
    assert!(log == expected, "the log is not every line once, in order");
}

#[test]
fn a_writer_filling_the_pipe_mid_line_never_stalls() {
    // A writer whose big writes end mid-line and fill the pipe, so that
    // multilog holds a partial line while the writer sleeps on a full pipe.
    // A missed wake-up there stalls for ever (or a second per pipeful).
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let total = 400_000;
    let mut child = start(&sb, &bin("multilog"), &["t", "s16777215", "./main"], &r, Stdio::null());
    drop(r);
    let writer = std::thread::spawn(move || {
        let mut w = fs::File::from(w);
        let data: Vec<u8> = (0..total).flat_map(|i| format!("line {i:07} {}\n", "x".repeat(80)).into_bytes()).collect();
        for piece in data.chunks(100_003) {
            w.write_all(piece).unwrap();
        }
    });
    finish_within(&mut child, 30_000, "multilog, stalled on a full pipe,");
    writer.join().unwrap();
    let t = tally(&sb.join("main"), total);
    assert_eq!((t.missing, t.twice, t.pieces), (0, 0, 0));
}

#[test]
fn a_packet_mode_writer_filling_every_slot_mid_line_is_not_waited_for_ever() {
    // O_DIRECT makes each write its own slot of the pipe: 16 pieces of one
    // line fill it, held by multilog, and the writer sleeps. multilog sees
    // the pipe full of its held line and grows it (were it full still, it
    // would let the line go), instead of waiting for more that cannot come.
    let sb = Sandbox::new();
    let (r, w) = pipe();
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, libc::O_DIRECT) };
    let mut child = start(&sb, &bin("multilog"), &["./main"], &r, Stdio::null());
    drop(r);
    let writer = std::thread::spawn(move || {
        let mut w = fs::File::from(w);
        w.write_all(b"first\n").unwrap();
        for i in 0..40 {
            w.write_all(format!("piece{i:02} ").as_bytes()).unwrap();
        }
        w.write_all(b"end\n").unwrap();
    });
    let expected: String = (0..40).map(|i| format!("piece{i:02} ")).collect();
    let current = sb.join("main/current");
    wait_for(15_000, "the long line", || {
        fs::read_to_string(&current).unwrap_or_default() == format!("first\n{expected}end\n")
    });
    writer.join().unwrap();
    assert_eq!(finish_within(&mut child, 5000, "multilog at the end of input").code(), Some(0));
}

#[test]
fn sigterm_is_not_lost_in_a_flood_of_sigio() {
    // Every write to the pipe raises SIGIO. While a slow processor holds
    // multilog up, a million one-byte writes come, then SIGTERM: it must
    // still be seen once multilog goes on. The processor waits for the
    // test's word (a processor done before SIGTERM would let multilog take
    // the million bytes, and rotate them through the processor 244 times).
    let sb = Sandbox::new();
    let (r, w) = pipe();
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
    let processor = "!until test -e ../go; do sleep 0.05; done; cat";
    let mut child = start(&sb, &bin("multilog"), &["s4096", processor, "./main"], &r, Stdio::null());
    let pid = child.id();
    let mut w = fs::File::from(w);
    w.write_all(&b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n".repeat(70)).unwrap();
    wait_for(5000, "the processor to start", || sb.join("main/processed").exists());
    for _ in 0..1_000_000 {
        w.write_all(b"x").unwrap();
    }
    signal(pid, libc::SIGTERM);
    fs::write(sb.join("go"), "").unwrap();
    w.write_all(b"\n").unwrap();
    assert_eq!(finish_within(&mut child, 15_000, "multilog after SIGTERM").code(), Some(0));
    drop(r);
}

/// Whether `pid` is asleep in poll(2), waiting for input: it has done
/// everything it could with what it read.
fn idle(pid: u32) -> bool {
    let call = fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    let nr: i64 = call.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(-1);
    nr == libc::SYS_poll || nr == libc::SYS_ppoll
}

/// Writes all of `data` to a non-blocking pipe, failing after `ms`.
fn put(w: &OwnedFd, mut data: &[u8], ms: u64) {
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let deadline = std::time::Instant::now() + Duration::from_millis(ms);
    while !data.is_empty() {
        match nix::unistd::write(w, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EAGAIN) => {
                assert!(std::time::Instant::now() < deadline, "the pipe stayed full for {ms} ms");
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// Every log file of `dir`, by name and contents: the archives in name
/// order, then `current` (when there is one).
fn log_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let logs = names.into_iter().filter(|n| n.starts_with('@')).chain(["current".to_string()]);
    logs.filter_map(|n| fs::read(dir.join(&n)).ok().map(|text| (n, text))).collect()
}

/// Every log file of `dir` (archives in name order, then `current`), joined, labels masked.
fn whole_log(dir: &Path) -> Vec<u8> {
    mask(&log_files(dir).into_iter().flat_map(|(_, text)| text).collect::<Vec<u8>>())
}

/// Line `i` of a long-line test: a number, then filler up to `len` bytes.
fn long_line(i: usize, len: usize) -> Vec<u8> {
    let mut l = format!("line {i:07} ").into_bytes();
    l.extend((l.len()..len).map(|k| b'a' + (k % 26) as u8));
    l
}

#[test]
fn a_line_past_the_window_is_kept_whole_across_kills() {
    // The window is 1000 bytes with the stamp: 974 bytes of input with `t`.
    // Each line is written in pieces, and multilog is killed after each piece
    // but the last, once it has read the piece and waits for more.
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let args = ["t", "s16777215", "n1000", "./main"];
    let mut lines: Vec<(Vec<u8>, Vec<usize>)> = vec![
        (long_line(0, 974), vec![500, 974]),
        (long_line(1, 2009), vec![500, 1000, 1500, 2000]),
        (long_line(2, 10), vec![5]),
        (long_line(3, 975), vec![974]),
        (long_line(4, 300_000), vec![900, 70_000, 299_999]),
    ];
    lines.push((long_line(5, 2009), vec![1, 973, 974, 975, 2008]));
    let mut child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    let mut kills = 0;
    for (line, cuts) in &lines {
        let mut at = 0;
        for &cut in cuts {
            let before = rchar(child.id());
            eprintln!("cut {cut} of {}", line.len());
            put(&w, &line[at..cut], 5000);
            let pid = child.id();
            wait_for(3000, "multilog to read the piece and wait", || {
                rchar(pid) >= before + (cut - at) as u64 && idle(pid)
            });
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
            at = cut;
        }
        put(&w, &line[at..], 5000);
        put(&w, b"\n", 5000);
    }
    drop((r, w));
    assert_eq!(finish_within(&mut child, 5000, "multilog at the end of its input").code(), Some(0));
    let mut expected = Vec::new();
    for (line, _) in &lines {
        expected.extend_from_slice(b"@STAMP ");
        expected.extend_from_slice(line);
        expected.push(b'\n');
    }
    let log = whole_log(&sb.join("main"));
    assert!(log == expected, "after {kills} kills, the log is not each line once and whole:\n{}", outline(&log));
}

/// A log's lines in short: the first bytes of each, its length, and whether it has its newline.
fn outline(log: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = log;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        let l = &rest[..end];
        let head = String::from_utf8_lossy(&l[..l.len().min(24)]).into_owned();
        let stamps = l.windows(6).filter(|w| w == b"@STAMP").count();
        let cut = if l.ends_with(b"\n") { "" } else { ", no newline" };
        out += &format!("{head:?}... {} bytes, {stamps} stamps{cut}\n", l.len());
        rest = &rest[end..];
    }
    out
}

#[test]
fn sigkill_inside_long_lines_breaks_none() {
    // Lines of the window's length (974 bytes with `t`), of 2009 bytes and
    // longer, written in pieces while multilog is killed at random moments:
    // a kill may log a line twice, but never cuts one, restamps a tail or
    // duplicates bytes inside a line.
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let mut rng = Rng(17);
    let lens = [974usize, 2009, 975, 40, 5000, 2009, 973];
    let total = 3000;
    let len_of = move |i: usize| lens[i % lens.len()];
    let (kills_done, gate) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut w = fs::File::from(w);
        let mut rng = Rng(18);
        let mut data = Vec::new();
        for i in 0..total {
            data.extend(long_line(i, len_of(i)));
            data.push(b'\n');
        }
        write_in_pieces(&mut w, &data, gate, &mut rng, 1500, Duration::from_micros(200));
    });
    let args = ["t", "s16777215", "n1000", "./main"];
    let kills = 100;
    for _ in 0..kills {
        let mut child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
        std::thread::sleep(Duration::from_micros(500 + rng.below(4000)));
        let _ = child.kill();
        let _ = child.wait();
    }
    kills_done.send(()).unwrap();
    let mut last = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    drop(r);
    assert_eq!(finish_within(&mut last, 30_000, "the last logger").code(), Some(0));
    writer.join().unwrap();
    let found = read_lines(&sb.join("main"), total, &|i: usize| long_line(i, len_of(i)));
    let missing = found.seen.iter().filter(|&&c| c == 0).count();
    let twice = found.seen.iter().filter(|&&c| c > 1).count();
    eprintln!(
        "{kills} SIGKILLs inside long lines, {total} lines: {missing} lost, {twice} logged twice, \
         {} cut by a kill inside a write (and logged again whole), {} broken",
        found.torn.len(),
        found.broken.len()
    );
    assert!(found.broken.is_empty(), "broken lines:\n{}", outline(&found.broken.concat()));
    assert_eq!(missing, 0, "lines lost");
}

/// What a log directory holds, file by file: how many times each line
/// appears whole (one label, the line, a newline), the pieces that end a
/// `.u` file without a newline, on a page boundary, and begin a line (a kill
/// inside a write cut them), and anything else.
struct Found {
    seen: Vec<u32>,
    torn: Vec<Vec<u8>>,
    broken: Vec<Vec<u8>>,
}

fn read_lines(dir: &Path, total: usize, line_of: &dyn Fn(usize) -> Vec<u8>) -> Found {
    let mut found = Found { seen: vec![0; total], torn: Vec::new(), broken: Vec::new() };
    // Line `i` if `l` is a label, a space and the start (or all) of line `i`.
    let begins = |l: &[u8]| -> Option<usize> {
        let label = &l[..l.len().min(25)];
        if label[0] != b'@' || !label[1..].iter().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let Some(rest) = l.get(26..) else { return (l.len() <= 25 || l[25] == b' ').then_some(0) };
        if l[25] != b' ' {
            return None;
        }
        let i = rest.get(5..12).and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok()).unwrap_or(0);
        let line = line_of(i.min(total - 1));
        let digits =
            |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x == y || x.is_ascii_digit() && y.is_ascii_digit());
        (i < total && rest.len() <= line.len() && digits(rest, &line) && (rest.len() < 12 || line.starts_with(rest)))
            .then_some(i)
    };
    for (name, text) in log_files(dir) {
        for l in text.split_inclusive(|&b| b == b'\n') {
            match l.strip_suffix(b"\n") {
                Some(whole) => match begins(whole) {
                    Some(i) if whole.len() == 26 + line_of(i).len() => found.seen[i] += 1,
                    _ => found.broken.push(l.to_vec()),
                },
                // The kernel stops a write killed midway at a page boundary of the file.
                None if name.ends_with(".u") && text.len() % 4096 == 0 && begins(l).is_some() => {
                    found.torn.push(l.to_vec())
                }
                None => found.broken.push(l.to_vec()),
            }
        }
    }
    found
}

#[test]
fn where_a_kill_may_still_cut_a_line() {
    // A line longer than the pipe (1 MiB once multilog has grown it) is
    // logged and let go a pipeful at a time, and a line held a second with
    // nothing new is let go as well: a kill then leaves its start at the end
    // of the `.u` file and the next multilog logs the rest as a new line.
    // No byte is lost or logged twice.
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let args = ["t", "s16777215", "n1000", "./main"];
    let mut child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    let huge = long_line(0, 5 << 19);
    let first = 3 << 19;
    let before = rchar(child.id());
    put(&w, &huge[..first], 10_000);
    let pid = child.id();
    wait_for(5000, "multilog to read 1.5 MiB", || rchar(pid) >= before + first as u64 && idle(pid));
    child.kill().unwrap();
    child.wait().unwrap();
    child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    put(&w, &huge[first..], 10_000);
    put(&w, b"\n", 5000);
    // A writer that stops for over a second in the middle of a line.
    let paused = long_line(1, 2009);
    let current = sb.join("main/current");
    wait_for(5000, "the rest of the huge line", || fs::read(&current).unwrap_or_default().ends_with(b"\n"));
    let logged = fs::metadata(&current).unwrap().len();
    put(&w, &paused[..1500], 5000);
    wait_for(5000, "multilog to let the line go", || fs::metadata(&current).unwrap().len() == logged + 26 + 1500);
    child.kill().unwrap();
    child.wait().unwrap();
    child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    put(&w, &paused[1500..], 5000);
    put(&w, b"\n", 5000);
    drop((r, w));
    assert_eq!(finish_within(&mut child, 5000, "multilog at the end of its input").code(), Some(0));

    let log = whole_log(&sb.join("main"));
    let stamp = b"@STAMP ";
    assert!(log.starts_with(stamp));
    let k = log[7..].windows(7).position(|w| w == stamp).expect("the huge line cut once");
    let mut expected = Vec::new();
    for piece in [&huge[..k], &huge[k..]] {
        expected.extend_from_slice(stamp);
        expected.extend_from_slice(piece);
    }
    expected.push(b'\n');
    for piece in [&paused[..1500], &paused[1500..]] {
        expected.extend_from_slice(stamp);
        expected.extend_from_slice(piece);
    }
    expected.push(b'\n');
    eprintln!("a {}-byte line, killed after {first} bytes: {k} were let go before the kill", huge.len());
    assert!(log == expected, "not each byte once, the two lines cut once each:\n{}", outline(&log));
    assert!(k >= first - (1 << 20) && k < first, "{k} bytes of the huge line let go before the kill");
}

#[test]
fn archives_made_after_the_clock_stepped_back_are_kept() {
    // Archives named in the future, as if made before the clock was set
    // back: the new ones must sort after them, so that pruning (smallest
    // name first) removes the old ones and keeps the new lines.
    let sb = Sandbox::new();
    let dir = sb.join("main");
    fs::create_dir(&dir).unwrap();
    // 2038 and 2106: well past any test machine's clock.
    let future = ["@40000000800000000000000a.s", "@4000000100000000000000ff.u"];
    for (name, text) in future.iter().zip(["old 1\n", "old 2\n"]) {
        fs::write(dir.join(name), text).unwrap();
        fs::set_permissions(dir.join(name), fs::Permissions::from_mode(0o744)).unwrap();
    }
    // A `current` left by a crash becomes a `.u` archive at start, named the same way.
    fs::write(dir.join("current"), "crashed\n").unwrap();
    // Three archives' worth of new lines (s4096 rotates after three of 1000 bytes), and one more.
    let new: Vec<Vec<u8>> = (0..10).map(|i| long_line(i, 999)).collect();
    let input: Vec<u8> = new.iter().flat_map(|l| [l.as_slice(), b"\n"].concat()).collect();
    let (code, err) = run_logger(&sb, &bin("multilog"), &["s4096", "n3", "DIR/main"], &input, sb.path());
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let mut names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let archives: Vec<&String> = names.iter().filter(|n| n.starts_with('@')).collect();
    assert_eq!(archives.len(), 2, "n3 keeps two archives: {names:?}");
    for old in future {
        assert!(!names.iter().any(|n| n == old), "{old} outlived newer archives: {names:?}");
    }
    let newest = future[1][..25].to_string();
    assert!(archives.iter().all(|n| n[..25] > *newest), "new archives sort after the old: {names:?}");
    let mut kept = Vec::new();
    for n in archives.iter().map(|n| n.as_str()).chain(["current"]) {
        kept.extend(fs::read(dir.join(n)).unwrap());
    }
    let last: Vec<u8> = new[3..].iter().flat_map(|l| [l.as_slice(), b"\n"].concat()).collect();
    assert!(kept == last, "the last seven lines, in order, are kept:\n{}", outline(&kept));
}

#[test]
fn a_long_line_in_small_writes_is_held_whole_without_stalling() {
    // 3000-byte writes do not share pages: 16 of them fill a new pipe, long
    // before its 64 KiB. multilog must see a pipe full of its held line, grow
    // it (256 pages), and hold the line whole, without waiting a second.
    let sb = Sandbox::new();
    let (r, w) = pipe();
    let args = ["t", "s16777215", "./main"];
    let mut child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    let line = long_line(0, 600_000);
    let pid = child.id();
    let t0 = std::time::Instant::now();
    let writer = {
        let w = w.try_clone().unwrap();
        let line = line.clone();
        std::thread::spawn(move || {
            let mut w = fs::File::from(w);
            for piece in line.chunks(3000) {
                w.write_all(piece).unwrap();
            }
        })
    };
    wait_for(5000, "multilog to read the line", || rchar(pid) >= line.len() as u64 && idle(pid));
    let took = t0.elapsed();
    writer.join().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let mut child = start(&sb, &bin("multilog"), &args, &r, Stdio::null());
    put(&w, b"\n", 5000);
    drop((r, w));
    assert_eq!(finish_within(&mut child, 5000, "multilog at the end of its input").code(), Some(0));
    let mut expected = b"@STAMP ".to_vec();
    expected.extend_from_slice(&line);
    expected.push(b'\n');
    let log = whole_log(&sb.join("main"));
    assert!(log == expected, "the line is not whole once:\n{}", outline(&log));
    assert!(took < Duration::from_millis(900), "{took:?} to take 600 kB: a held line was waited for");
}
