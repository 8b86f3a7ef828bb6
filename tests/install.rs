//! `make install` and `make uninstall` into a temporary DESTDIR: the one
//! executable with every program's name a symbolic link to it, every man
//! page and the systemd unit land under PREFIX, each name runs its program,
//! the unit runs the installed svscanboot, and uninstall leaves nothing
//! behind (and no file that is not its own link).

use crate::common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

fn make(target: &str, destdir: &Path, prefix: &str) -> std::process::Output {
    let build = bin("svok").parent().unwrap().to_path_buf();
    Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg(target)
        .arg(format!("DESTDIR={}", destdir.display()))
        .arg(format!("PREFIX={prefix}"))
        .arg(format!("BUILD={}", build.display()))
        .output()
        .expect("make (.ci/deps installs it)")
}

/// Every regular file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn install_and_uninstall_under_a_prefix_in_a_destdir() {
    let sb = Sandbox::new();
    for prefix in ["/usr/local", "/opt/dt"] {
        let dest = sb.join(format!("dest{}", prefix.replace('/', "_")));
        let o = make("install", &dest, prefix);
        assert!(o.status.success(), "make install: {}", stderr(&o));
        let got = files(&dest);
        let p = &prefix[1..];
        // The executable, the programs' links and pages, the overview page,
        // the unit, update-service and its page, and the list of
        // directories install made.
        assert_eq!(got.len(), PROGRAMS.len() * 2 + 6, "{got:#?}");
        let bindir = dest.join(p).join("bin");
        assert!(fs::symlink_metadata(bindir.join("daemontools-rs")).unwrap().is_file());
        for prog in PROGRAMS {
            let link = bindir.join(prog);
            assert_eq!(
                fs::read_link(&link).unwrap(),
                Path::new("daemontools-rs"),
                "{prog} is a link to the executable"
            );
            let o = Command::new(&link).arg("--version").output().unwrap();
            assert_eq!(stdout(&o), format!("{prog} (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION")));
        }
        assert!(got.contains(&format!("{p}/sbin/update-service")), "{got:#?}");
        assert!(got.contains(&format!("{p}/share/man/man8/update-service.8")), "{got:#?}");
        let script = fs::read_to_string(dest.join(p).join("sbin/update-service")).unwrap();
        assert!(script.contains(&format!("\nbindir={prefix}/bin\n")), "update-service finds the programs");
        for prog in ["svscan", "supervise", "multilog", "tai64nlocal"] {
            assert!(got.contains(&format!("{p}/bin/{prog}")), "{got:#?}");
            assert!(got.contains(&format!("{p}/share/man/man8/{prog}.8")), "{got:#?}");
        }
        assert!(got.contains(&format!("{p}/share/man/man7/daemontools-rs.7")), "{got:#?}");
        let installed = dest.join(p).join("bin/svok");
        let o = Command::new(&installed).arg("--version").output().unwrap();
        assert_eq!(stdout(&o), format!("svok (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION")));
        let unit = fs::read_to_string(dest.join(p).join("lib/systemd/system/daemontools-rs.service")).unwrap();
        assert!(unit.contains(&format!("\nExecStart={prefix}/bin/svscanboot /etc/service\n")), "{unit}");
        // A name replaced since by a file of someone else's stays.
        if prefix == "/opt/dt" {
            fs::remove_file(bindir.join("svc")).unwrap();
            fs::write(bindir.join("svc"), "theirs").unwrap();
        }
        let o = make("uninstall", &dest, prefix);
        assert!(o.status.success(), "make uninstall: {}", stderr(&o));
        if prefix == "/opt/dt" {
            assert_eq!(files(&dest), vec!["opt/dt/bin/svc".to_string()], "uninstall removes only its own");
            fs::remove_file(bindir.join("svc")).unwrap();
            fs::remove_dir_all(dest.join("opt")).unwrap();
        }
        assert_eq!(files(&dest), Vec::<String>::new(), "uninstall removes every file");
        // And every directory it made, but none that was there before.
        let left: Vec<_> = fs::read_dir(&dest).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "uninstall left {left:?} in {}", dest.display());
    }
    // A directory that was there before install stays, with what it held.
    let dest = sb.join("dest_kept");
    fs::create_dir_all(dest.join("usr/local/bin")).unwrap();
    fs::write(dest.join("usr/local/bin/theirs"), "").unwrap();
    fs::create_dir_all(dest.join("usr/local/share/man/man7")).unwrap();
    assert!(make("install", &dest, "/usr/local").status.success());
    assert!(make("uninstall", &dest, "/usr/local").status.success());
    assert_eq!(files(&dest), vec!["usr/local/bin/theirs".to_string()]);
    assert!(dest.join("usr/local/share/man/man7").is_dir(), "a directory made before install went");
    assert!(!dest.join("usr/local/share/man/man8").exists() && !dest.join("usr/local/sbin").exists());
    // Installed for real under a prefix, the unit passes systemd's own check
    // (ExecStart must name an executable that exists).
    let prefix = sb.join("prefix");
    let o = make("install", Path::new(""), prefix.to_str().unwrap());
    assert!(o.status.success(), "make install: {}", stderr(&o));
    let unit = prefix.join("lib/systemd/system/daemontools-rs.service");
    match Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&unit).output() {
        Ok(o) => assert!(o.status.success() && o.stderr.is_empty(), "systemd-analyze verify: {}", stderr(&o)),
        Err(_) => eprintln!("SKIPPED systemd-analyze verify: systemd-analyze is not installed"),
    }
    // Without built programs, install says so and installs nothing.
    let dest = sb.join("none");
    let o = Command::new("make")
        .args(["-s", "-C", env!("CARGO_MANIFEST_DIR"), "install", "BUILD=/nonexistent"])
        .arg(format!("DESTDIR={}", dest.display()))
        .output()
        .unwrap();
    assert!(!o.status.success() && stderr(&o).contains("/nonexistent/daemontools-rs is not built"), "{}", stderr(&o));
    assert!(!dest.exists());
}
