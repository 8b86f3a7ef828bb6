//! The README's quick start: svscan on `examples/service` brings the example
//! up and its logger writes timestamped lines. Run on a copy, so the source
//! tree stays clean.

mod common;

use common::*;
use std::fs;
use std::path::Path;

/// Copies directories and regular files, leaving out what running the
/// example leaves behind (`supervise/` with its FIFOs, the log's `main/`).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (name, kind) = (entry.file_name(), entry.file_type().unwrap());
        if name == "supervise" || name == "main" {
            continue;
        }
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

#[test]
fn the_quick_start_brings_the_example_up_with_its_log() {
    let sb = Sandbox::new();
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service"), &sb.join("service"));
    let target = bin("svscan").parent().unwrap().to_path_buf();
    let mut cmd = sb.command(bin("svscan"));
    cmd.arg("service").env("PATH", format!("{}:/usr/bin:/bin", target.display()));
    sb.spawn(cmd, "svscan");
    sb.wait_up("service/hello", 0);
    sb.wait_up("service/hello/log", 0);
    let current = sb.join("service/hello/log/main/current");
    wait_for(5000, "the first line in the log", || {
        fs::read_to_string(&current).is_ok_and(|t| t.contains("hello number 1 "))
    });
    let text = fs::read_to_string(&current).unwrap();
    assert!(daemontools::tai64::parse_label(text.as_bytes()).is_some(), "{text}");
    let o = sb.run(bin("svstat"), &["service/hello", "service/hello/log"]);
    let out = stdout(&o);
    assert!(out.starts_with("service/hello: up (pid "), "{out}");
    assert!(out.contains("\nservice/hello/log: up (pid "), "{out}");
}
