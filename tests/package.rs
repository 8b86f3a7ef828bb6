//! The Debian package: built with `cargo deb` from the built executable, it
//! holds it in /usr/bin with every program's name a symbolic link to it,
//! every man page (gzipped) and the systemd unit, and its control file
//! conflicts with and replaces daemontools.

use crate::common::*;
use std::process::Command;

fn dpkg_deb(args: &[&str], deb: &std::path::Path) -> String {
    let o = Command::new("dpkg-deb").args(args).arg(deb).output().expect("dpkg-deb (.ci/deps installs it)");
    assert!(o.status.success(), "dpkg-deb {args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn the_debian_package_replaces_daemontools_with_every_program_and_page() {
    let sb = Sandbox::new();
    let deb = build_deb(&sb);

    let control = dpkg_deb(&["-f"], &deb);
    for field in [
        "Package: daemontools-rs\n",
        &format!("Version: {}-1\n", env!("CARGO_PKG_VERSION")),
        "Conflicts: daemontools, daemontools-run, runit\n",
        "Replaces: daemontools, daemontools-run\n",
        &format!(
            "Provides: daemontools (= 1:0.76+rs{v}), daemontools-run (= 1:0.76+rs{v})\n",
            v = env!("CARGO_PKG_VERSION")
        ),
        "Section: admin\n",
    ] {
        assert!(control.contains(field), "control lacks {field:?}:\n{control}");
    }

    let listing = dpkg_deb(&["-c"], &deb);
    let entry = |path: &str| listing.lines().find(|l| l.ends_with(&format!(" ./{path}"))).map(str::to_string);
    let line = entry("usr/bin/daemontools-rs").unwrap_or_else(|| panic!("no /usr/bin/daemontools-rs:\n{listing}"));
    assert!(line.starts_with("-rwxr-xr-x root/root") || line.starts_with("-rwxr-xr-x 0/0"), "{line}");
    let linked = |l: &str| l.starts_with("lrwxrwxrwx") && l.ends_with(" -> daemontools-rs");
    for prog in PROGRAMS {
        let found = listing.lines().find(|l| l.contains(&format!(" ./usr/bin/{prog} -> ")));
        assert!(found.is_some_and(linked), "/usr/bin/{prog} is not a link to daemontools-rs:\n{listing}");
        assert!(entry(&format!("usr/share/man/man8/{prog}.8.gz")).is_some(), "no {prog}.8.gz:\n{listing}");
    }
    assert!(entry("usr/share/man/man7/daemontools-rs.7.gz").is_some(), "{listing}");
    assert!(entry("usr/lib/systemd/system/daemontools-rs.service").is_some(), "{listing}");
    // In place of daemontools-run's.
    assert!(entry("usr/sbin/update-service").is_some_and(|l| l.starts_with("-rwxr-xr-x")), "{listing}");
    assert!(entry("usr/share/man/man8/update-service.8.gz").is_some(), "{listing}");
    for doc in ["copyright", "changelog.Debian.gz"] {
        assert!(entry(&format!("usr/share/doc/daemontools-rs/{doc}")).is_some(), "no {doc}:\n{listing}");
    }

    // Unpacked, the programs run and the unit runs the packaged svscanboot.
    let root = sb.join("root");
    let o = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for prog in PROGRAMS {
        let o = Command::new(root.join("usr/bin").join(prog)).arg("--version").output().unwrap();
        assert_eq!(stdout(&o), format!("{prog} (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION")));
    }
    let unit = std::fs::read_to_string(root.join("usr/lib/systemd/system/daemontools-rs.service")).unwrap();
    assert!(unit.contains("\nExecStart=/usr/bin/svscanboot /etc/service\n"), "{unit}");
}
