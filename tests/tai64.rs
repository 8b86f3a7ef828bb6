//! tai64n and tai64nlocal against daemontools' on the same input.

use crate::common::*;
use daemontools::tai64;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `program` with `input` on stdin (and TZ set); its exit code and stdout.
fn through(program: &Path, tz: &str, input: &[u8]) -> (Option<i32>, Vec<u8>) {
    let mut child = Command::new(program)
        .env_clear()
        .env("TZ", tz)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap().unwrap();
    (child.wait().unwrap().code(), out)
}

/// Splits tai64n's output into (labels, the text with the labels taken out).
fn unlabel(out: &[u8]) -> (Vec<tai64::Tai64N>, Vec<u8>) {
    let (mut labels, mut text) = (Vec::new(), Vec::new());
    for line in out.split_inclusive(|&b| b == b'\n') {
        labels.push(tai64::parse_label(line).expect("a label"));
        assert_eq!(line[tai64::LABEL_LEN], b' ');
        text.extend_from_slice(&line[tai64::LABEL_LEN + 1..]);
    }
    (labels, text)
}

#[test]
fn tai64n_labels_every_line_as_daemontools_does() {
    let long = vec![b'x'; 200_000];
    let inputs: [&[u8]; 5] = [b"a\nbb\n\nccc", b"", b"\n\n\n", b"one line\n", &[&long[..], b"\nend\n"].concat()];
    for input in inputs {
        let (code, ours) = through(&bin("tai64n"), "UTC", input);
        let (real_code, theirs) = through(&real("tai64n"), "UTC", input);
        assert_eq!((code, real_code), (Some(0), Some(0)));
        let (labels, text) = unlabel(&ours);
        assert_eq!(text, unlabel(&theirs).1, "the text around the labels");
        assert_eq!(text, input, "the input, untouched");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        for (i, label) in labels.iter().enumerate() {
            assert!((tai64::unix_secs(*label) - now).abs() < 10, "a label of now, in daemontools' epoch");
            assert!(i == 0 || labels[i - 1] <= *label, "labels never go back");
        }
    }
}

#[test]
fn tai64n_writes_each_line_before_waiting_for_more() {
    let mut child = Command::new(bin("tai64n")).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    stdin.write_all(b"first\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = [0u8; 32];
        let got = stdout.read_exact(&mut line).map(|()| line.to_vec());
        let _ = tx.send(got);
    });
    // Stdin stays open: the line must come out anyway.
    let got = rx.recv_timeout(std::time::Duration::from_secs(5));
    signal(pid, libc::SIGKILL);
    let _ = child.wait();
    let line = got.expect("the labelled line while stdin is still open").unwrap();
    assert_eq!(&line[25..], b" first\n");
}

#[test]
fn tai64nlocal_matches_daemontools_on_every_well_formed_label() {
    let (_, labelled) = through(&bin("tai64n"), "UTC", b"from tai64n\n");
    let input = [
        &b"@4000000069202b5a2ed2a3a4 hello\n"[..],
        b"@4000000069202b5a2ed2a3a4\n",
        b"plain @4000000069202b5a2ed2a3a4 in the middle\n",
        b"\n",
        b"@400000003b9aca0000000000 the year 2001\n",
        &labelled,
        b"@4000000069202b5a2ed2a3a4 no newline at the end",
    ]
    .concat();
    for tz in ["UTC", "America/New_York", "Asia/Kolkata"] {
        let ours = through(&bin("tai64nlocal"), tz, &input);
        assert_eq!(ours, through(&real("tai64nlocal"), tz, &input), "TZ={tz}");
        assert_eq!(ours.0, Some(0));
    }
    let (_, out) = through(&bin("tai64nlocal"), "UTC", b"@4000000069202b5a2ed2a3a4 hello\n");
    assert_eq!(out, b"2025-11-21 09:05:20.785556388 hello\n");
}

#[test]
fn tai64nlocal_leaves_malformed_labels_as_text_where_daemontools_crashes() {
    for line in [
        &b"@40000000 short\n"[..],
        b"@ nothing\n",
        b"@4000000069202B5A2ED2A3A4 upper case\n",
        b"@@4000000069202b5a2ed2a3a4 two ats\n",
        b"@4000000069202b5a2ed2a3a4ab too long\n",
        b"@4000000069202b5a",
    ] {
        let (code, out) = through(&bin("tai64nlocal"), "UTC", line);
        assert_eq!((code, out.as_slice()), (Some(0), line));
    }
    // daemontools' segfaults on the first of these.
    assert_eq!(through(&real("tai64nlocal"), "UTC", b"@40000000 short\n").0, None);
}

#[test]
fn io_errors_exit_111_as_daemontools() {
    let sb = Sandbox::new();
    for program in ["tai64n", "tai64nlocal"] {
        for redirect in ["<&-", "</dev/null >&-"] {
            let codes: Vec<_> = [bin(program), real(program)]
                .iter()
                .map(|p| {
                    let sh = format!("echo x | (exec {} {redirect})", p.display());
                    sb.run("/bin/sh", &["-c", &sh]).status.code()
                })
                .collect();
            assert_eq!(codes[0], codes[1], "{program} {redirect}");
        }
        let sh = format!("exec {} <&-", bin(program).display());
        let o = sb.run("/bin/sh", &["-c", &sh]);
        o.code(111);
        assert_eq!(stderr(&o), format!("{program}: fatal: unable to read input: file descriptor not open\n"));
    }
}
