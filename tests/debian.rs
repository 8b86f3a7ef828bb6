//! The Debian package in place of Debian's daemontools and daemontools-run.
//! Its control file provides both at a version above theirs; lintian finds
//! nothing but the overridden tags; and, in a minbase bookworm that
//! debootstrap makes in the test's own directory, with both Debian packages
//! installed by apt-get and services in /etc/service, `dpkg -i` of ours
//! succeeds, takes both away, keeps /etc/service, puts its own SV entry in
//! /etc/inittab, and its update-service adds, lists, checks and removes a
//! service that our supervise then runs and stops; purged, it leaves nothing
//! of its own behind.

use crate::common::*;
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The version at which the package provides daemontools and daemontools-run.
fn provided_version() -> String {
    format!("1:0.76+rs{}", env!("CARGO_PKG_VERSION"))
}

fn control_field(deb: &Path, field: &str) -> String {
    let o = Command::new("dpkg-deb").arg("-f").arg(deb).arg(field).output().expect("dpkg-deb (.ci/deps installs it)");
    assert!(o.status.success(), "dpkg-deb -f {field}: {}", stderr(&o));
    stdout(&o).trim_end().to_string()
}

fn version_gt(a: &str, b: &str) -> bool {
    Command::new("dpkg").args(["--compare-versions", a, "gt", b]).status().expect("dpkg").success()
}

#[test]
fn the_package_provides_both_debian_packages_above_their_versions() {
    let sb = Sandbox::new();
    let deb = build_deb(&sb);
    let version = provided_version();
    assert_eq!(control_field(&deb, "Provides"), format!("daemontools (= {version}), daemontools-run (= {version})"));
    assert_eq!(control_field(&deb, "Conflicts"), "daemontools, daemontools-run, runit");
    assert_eq!(control_field(&deb, "Replaces"), "daemontools, daemontools-run");
    // Above Debian's 1:0.76-8.1 and what daemontools-run asks for.
    for theirs in ["1:0.76", "1:0.76-8.1", "1:0.76-99"] {
        assert!(version_gt(&version, theirs), "{version} is not above {theirs}");
    }
    // The changelog's version is the package's, which is the crate's.
    let package_version = control_field(&deb, "Version");
    assert_eq!(package_version, format!("{}-1", env!("CARGO_PKG_VERSION")));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let changelog = fs::read_to_string(root.join("debian/changelog")).unwrap();
    assert!(
        changelog.starts_with(&format!("daemontools-rs ({package_version}) ")),
        "debian/changelog: {}",
        changelog.lines().next().unwrap_or("")
    );
    // update-service's page renders without a warning.
    let page = root.join("man/update-service.8");
    let o = Command::new("groff").args(["-ww", "-man", "-z", "-t"]).arg(&page).output().expect("groff");
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(), "groff -ww: {}", stderr(&o));
    let roff = fs::read_to_string(&page).unwrap();
    for word in ["\\-\\-add", "\\-\\-remove", "\\-\\-list", "\\-\\-check", "\\-\\-help", "\\-\\-version", "SVDIR"] {
        assert!(roff.contains(word), "update-service.8 lacks {word}");
    }
}

#[test]
fn lintian_finds_nothing_but_the_overridden_tags() {
    if Command::new("lintian").arg("--version").output().is_err() {
        eprintln!("SKIPPED lintian: lintian is not installed (apt-get install lintian)");
        return;
    }
    let sb = Sandbox::new();
    let deb = build_deb(&sb);
    // Every tag it prints, overridden ones too ("O:", their comments "N:"):
    // an error or a warning would be an "E:" or "W:" line. (It exits 2 when
    // shown overridden errors.)
    let o = Command::new("lintian").arg("--show-overrides").arg(&deb).env("LC_ALL", "C.UTF-8").output().unwrap();
    let out = stdout(&o);
    assert!(matches!(o.status.code(), Some(0 | 2)), "lintian: {out}{}", stderr(&o));
    let mut overridden = BTreeSet::new();
    for line in out.lines().filter(|l| !l.starts_with("N:") && !l.trim().is_empty()) {
        let tag = line.strip_prefix("O: daemontools-rs: ").unwrap_or_else(|| panic!("lintian: {line}\n{out}"));
        overridden.insert(tag.to_string());
    }
    let mut expected = BTreeSet::from(["statically-linked-binary [usr/bin/daemontools-rs]".to_string()]);
    expected.insert("initial-upload-closes-no-bugs [usr/share/doc/daemontools-rs/changelog.Debian.gz:1]".into());
    assert_eq!(overridden, expected, "{out}");
}

/// The URI of a mirror that serves bookworm's main, from the host's apt
/// sources: deb822 `.sources` files and one-line `.list` files.
fn mirror() -> Option<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    files.iter().find_map(|file| {
        let text = fs::read_to_string(file).ok()?;
        match file.extension()?.to_str()? {
            "list" => mirror_in_list(&text),
            "sources" => mirror_in_sources(&text),
            _ => None,
        }
    })
}

fn is_http(uri: &str) -> bool {
    uri.starts_with("http://") || uri.starts_with("https://")
}

/// `deb [options] URI SUITE COMPONENT...`
fn mirror_in_list(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        let (&kind, mut rest) = words.split_first()?;
        if kind != "deb" {
            return None;
        }
        if rest.first()?.starts_with('[') {
            let end = rest.iter().position(|w| w.ends_with(']'))?;
            rest = &rest[end + 1..];
        }
        match rest {
            [uri, "bookworm", components @ ..] if is_http(uri) && components.contains(&"main") => {
                Some(uri.trim_end_matches('/').to_string())
            }
            _ => None,
        }
    })
}

/// Stanzas of `Field: value` lines (continued by lines that start with a
/// space), apart by blank lines; `#` starts a comment line.
fn mirror_in_sources(text: &str) -> Option<String> {
    let mut stanzas = vec![Vec::<(String, String)>::new()];
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            stanzas.push(Vec::new());
        } else if line.starts_with([' ', '\t']) {
            if let Some(last) = stanzas.last_mut().unwrap().last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((field, value)) = line.split_once(':') {
            stanzas.last_mut().unwrap().push((field.trim().to_lowercase(), value.trim().to_string()));
        }
    }
    stanzas.iter().find_map(|fields| {
        let get = |name: &str| fields.iter().find(|(f, _)| f == name).map_or("", |(_, v)| v.as_str());
        let has = |name: &str, word: &str| get(name).split_whitespace().any(|w| w == word);
        if !has("types", "deb") || !has("suites", "bookworm") || !has("components", "main") || get("enabled") == "no" {
            return None;
        }
        get("uris").split_whitespace().find(|u| is_http(u)).map(|u| u.trim_end_matches('/').to_string())
    })
}

#[test]
fn the_host_apt_sources_are_read_in_both_formats() {
    let list = "# deb http://old.invalid/debian bookworm main\n\
                deb-src http://src.invalid/debian bookworm main\n\
                deb [arch=amd64 signed-by=/k.gpg] http://a.invalid/debian/ bookworm main contrib\n";
    assert_eq!(mirror_in_list(list).as_deref(), Some("http://a.invalid/debian"));
    assert_eq!(mirror_in_list("deb http://b.invalid/debian-security bookworm-security main\n"), None);
    let sources = "Types: deb\n# http://comment.invalid\nURIs: http://c.invalid/debian-security\n\
                   Suites: bookworm-security\nComponents: main\n\n\
                   Types: deb deb-src\nURIs:\n http://d.invalid/debian\nSuites: bookworm bookworm-updates\n\
                   Components: main\nSigned-By: /k.gpg\n";
    assert_eq!(mirror_in_sources(sources).as_deref(), Some("http://d.invalid/debian"));
    let disabled = "Enabled: no\nTypes: deb\nURIs: http://e.invalid/debian\nSuites: bookworm\nComponents: main\n";
    assert_eq!(mirror_in_sources(disabled), None);
}

/// A directory of its own for the Debian root: on drop, whatever is still
/// mounted below it is unmounted, and the directory removed only if that
/// worked (left in place, and said so, otherwise).
struct Root(Option<tempfile::TempDir>);

impl Root {
    fn new() -> Root {
        Root(Some(tempfile::Builder::new().prefix("dtrs-debian-").tempdir().unwrap()))
    }

    fn path(&self) -> &Path {
        self.0.as_ref().unwrap().path()
    }

    fn join(&self, p: &str) -> PathBuf {
        self.path().join(p.trim_start_matches('/'))
    }

    /// Mount points at or below the root, deepest last.
    fn mounts(&self) -> Vec<String> {
        let root = self.path().to_str().unwrap().to_string();
        let table = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut found: Vec<String> = table
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| *m == root || m.starts_with(&format!("{root}/")))
            .map(str::to_string)
            .collect();
        found.sort();
        found
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        for m in self.mounts().iter().rev() {
            let _ = Command::new("umount").args(["-l", m]).status();
        }
        if !self.mounts().is_empty() {
            let kept = self.0.take().unwrap().keep();
            eprintln!("{} still has mounts below it: left in place", kept.display());
        }
    }
}

/// Runs a command with its output to `log` in the sandbox. Returns its
/// status (None if it ran `ms` and was killed) and its output.
fn logged(sb: &Sandbox, mut cmd: Command, log: &str, ms: u64) -> (Option<ExitStatus>, String) {
    let path = sb.join(log);
    let out = fs::File::create(&path).unwrap();
    cmd.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let deadline = Instant::now() + Duration::from_millis(ms);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, fs::read_to_string(&path).unwrap_or_default())
}

/// `logged`, which must succeed (else the end of its output is shown).
fn succeeds(sb: &Sandbox, cmd: Command, log: &str, ms: u64, what: &str) -> String {
    let (status, out) = logged(sb, cmd, log, ms);
    let end = || out.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    match status {
        Some(s) if s.success() => out,
        Some(s) => panic!("{what}: {s}:\n{}", end()),
        None => panic!("{what}: still running after {ms} ms:\n{}", end()),
    }
}

/// `chroot ROOT` with a plain environment, then `args`.
fn in_root(root: &Root, args: &[&str]) -> Command {
    let mut cmd = Command::new("chroot");
    cmd.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").env("LC_ALL", "C").arg(root.path());
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
    cmd
}

/// A short command in the root (killed after 10 s).
fn run_in(root: &Root, args: &[&str]) -> Run {
    let mut cmd = in_root(root, args);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let what = format!("{args:?} in the root");
    finish_within(&mut child, 10_000, &what);
    Run::new(what, child.wait_with_output().unwrap())
}

/// Every path below `dir`, relative to it, symbolic links not followed.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            }
            out.insert(e.path().strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out
}

/// What `dpkg -s` says of a package's state: "" when dpkg does not know it.
fn dpkg_status(root: &Root, package: &str) -> String {
    let o = run_in(root, &["dpkg", "-s", package]);
    let text = stdout(&o);
    text.lines().find_map(|l| l.strip_prefix("Status: ")).unwrap_or("").to_string()
}

fn write_service(root: &Root, dir: &str, with_log: bool) {
    let dir = root.join(dir);
    fs::create_dir_all(&dir).unwrap();
    write_script(&dir.join("run"), "exec sleep 1000");
    if with_log {
        fs::create_dir_all(dir.join("log")).unwrap();
        write_script(&dir.join("log/run"), "exec cat >/dev/null");
    }
}

fn link_target(path: PathBuf) -> String {
    fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_else(|e| format!("{}: {e}", path.display()))
}

const INITTAB: &str = "id:2:initdefault:\n";

#[test]
fn dpkg_installs_it_over_debian_daemontools_and_daemontools_run_in_a_debootstrapped_root() {
    const TEST: &str = "the upgrade from Debian's daemontools in a debootstrapped root";
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED {TEST}: needs root (debootstrap, chroot)");
        return;
    }
    let tools =
        [("/usr/sbin/debootstrap", "debootstrap"), ("/usr/bin/dpkg", "dpkg"), ("/usr/lib/apt/apt-helper", "apt")];
    for (tool, package) in tools {
        if !Path::new(tool).exists() {
            eprintln!("SKIPPED {TEST}: {tool} is missing (apt-get install {package})");
            return;
        }
    }
    let Some(mirror) = mirror() else {
        eprintln!("SKIPPED {TEST}: no bookworm main mirror in the host's apt sources");
        return;
    };
    // Dropped in this order: processes started in the root, then the root.
    let root = Root::new();
    let sb = Sandbox::new();
    let start = Instant::now();
    let mut fetch = Command::new("/usr/lib/apt/apt-helper");
    fetch.arg("download-file").arg(format!("{mirror}/dists/bookworm/Release")).arg(sb.join("Release"));
    match logged(&sb, fetch, "apt-helper.log", 60_000) {
        (Some(status), _) if status.success() => {}
        (_, out) => {
            eprintln!("SKIPPED {TEST}: the mirror {mirror} does not answer: {out}");
            return;
        }
    }

    // (1) A minbase bookworm in a directory of the test's.
    let mut debootstrap = Command::new("/usr/sbin/debootstrap");
    debootstrap.args(["--variant=minbase", "bookworm"]).arg(root.path()).arg(&mirror);
    succeeds(&sb, debootstrap, "debootstrap.log", 600_000, "debootstrap");
    eprintln!("{TEST}: debootstrap done after {:?}", start.elapsed());

    // (2) Debian's daemontools and daemontools-run, with nothing started,
    // an inittab for daemontools-run's SV entry, a service directory in
    // /etc/service and one added with Debian's update-service.
    let policy = root.join("usr/sbin/policy-rc.d");
    fs::write(&policy, "#!/bin/sh\nexit 101\n").unwrap();
    fs::set_permissions(&policy, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("etc/inittab"), INITTAB).unwrap();
    let lists = fs::read_dir(root.join("var/lib/apt/lists")).unwrap();
    if !lists.flatten().any(|e| e.file_name().to_string_lossy().ends_with("_Packages")) {
        succeeds(&sb, in_root(&root, &["apt-get", "update", "-q"]), "apt-update.log", 300_000, "apt-get update");
    }
    let apt = in_root(
        &root,
        &["apt-get", "install", "-y", "-q", "--no-install-recommends", "daemontools", "daemontools-run"],
    );
    succeeds(&sb, apt, "apt-get.log", 300_000, "apt-get install daemontools daemontools-run");
    for package in ["daemontools", "daemontools-run"] {
        assert_eq!(dpkg_status(&root, package), "install ok installed", "{package} before ours");
    }
    let inittab = fs::read_to_string(root.join("etc/inittab")).unwrap();
    assert!(inittab.contains("\nSV:123456:respawn:/usr/bin/svscanboot\n"), "daemontools-run's inittab: {inittab}");
    write_service(&root, "etc/service/hello", false);
    write_service(&root, "etc/sv/old", true);
    let o = run_in(&root, &["update-service", "--add", "/etc/sv/old"]);
    assert!(o.status.success(), "Debian's update-service --add: {}{}", stdout(&o), stderr(&o));
    assert_eq!(link_target(root.join("etc/sv/old/supervise")), "/var/lib/supervise/old");
    let deb = build_deb(&sb);
    fs::copy(&deb, root.join("tmp/daemontools-rs.deb")).unwrap();
    let before = tree(root.path());
    eprintln!("{TEST}: Debian's packages in and ours built after {:?}", start.elapsed());

    // (3) Ours in their place.
    let dpkg = in_root(&root, &["dpkg", "-i", "/tmp/daemontools-rs.deb"]);
    let out =
        succeeds(&sb, dpkg, "dpkg-i.log", 120_000, "dpkg -i daemontools-rs.deb over daemontools and daemontools-run");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(dpkg_status(&root, "daemontools-rs"), "install ok installed", "{out}");
    for package in ["daemontools", "daemontools-run"] {
        let status = dpkg_status(&root, package);
        assert!(status.is_empty() || status.ends_with(" config-files"), "{package} is still there: {status}\n{out}");
    }
    for prog in PROGRAMS {
        let o = run_in(&root, &[&format!("/usr/bin/{prog}"), "--version"]);
        assert_eq!(stdout(&o), format!("{prog} (daemontools-rs) {version}\n"), "/usr/bin/{prog} is ours");
    }
    let o = run_in(&root, &["update-service", "--version"]);
    assert_eq!(stdout(&o), format!("update-service (daemontools-rs) {version}\n"));
    // /etc/service as it was; init and systemd start svscanboot.
    assert!(root.join("etc/service/hello/run").is_file());
    assert_eq!(link_target(root.join("etc/service/old")), "/etc/sv/old");
    assert!(root.join("var/lib/supervise").is_dir());
    assert_eq!(
        fs::read_to_string(root.join("etc/inittab")).unwrap(),
        format!("{INITTAB}#-- daemontools-rs begin\nSV:123456:respawn:/usr/bin/svscanboot /etc/service\n#-- daemontools-rs end\n")
    );
    let wanted = link_target(root.join("etc/systemd/system/multi-user.target.wants/daemontools-rs.service"));
    assert!(wanted.ends_with("/lib/systemd/system/daemontools-rs.service"), "enabled: {wanted}");

    // update-service: the services there, one added by daemontools-run's.
    let ok = |args: &[&str], out: &str| {
        run_in(&root, args).code(0).stdout_is(out).stderr_is("");
    };
    ok(&["update-service", "--list"], "hello\nold\n");
    ok(&["update-service", "--list", "old"], "old -> /etc/sv/old\n");
    ok(&["update-service", "--check", "old"], "");
    run_in(&root, &["update-service", "--check", "web"]).code(1).stdout_is("").stderr_is("");
    run_in(&root, &["update-service", "--list", "web"]).code(1).stderr_has("web is not a service");
    // Added again, the service of daemontools-run's update-service gets the
    // directories its links name (daemontools' supervise made them itself).
    ok(
        &["update-service", "--add", "/etc/sv/old"],
        "update-service: old is already a service: /etc/service/old -> /etc/sv/old\n",
    );
    assert!(root.join("var/lib/supervise/old").is_dir() && root.join("var/lib/supervise/old.log").is_dir());

    // A new one: added, run by our supervise, removed, and stopped.
    write_service(&root, "etc/sv/web", true);
    ok(&["update-service", "--add", "/etc/sv/web"], "update-service: added web: /etc/service/web -> /etc/sv/web\n");
    assert_eq!(link_target(root.join("etc/service/web")), "/etc/sv/web");
    assert_eq!(link_target(root.join("etc/sv/web/supervise")), "/var/lib/supervise/web");
    assert_eq!(link_target(root.join("etc/sv/web/log/supervise")), "/var/lib/supervise/web.log");
    ok(&["update-service", "--list"], "hello\nold\nweb\n");
    ok(&["update-service", "--check", "web"], "");
    run_in(&root, &["update-service", "--add", "/etc/sv/old", "web"]).code(100);
    let supervise = sb.spawn(in_root(&root, &["/usr/bin/supervise", "/etc/service/web"]), "supervise-web");
    wait_for(5000, "supervise in the root", || run_in(&root, &["svok", "/etc/service/web"]).status.success());
    // svok answers as soon as supervise has ok open, a moment before the start.
    wait_for(5000, "web up in the root", || {
        stdout(&run_in(&root, &["svstat", "/etc/service/web"])).starts_with("/etc/service/web: up (pid ")
    });
    ok(&["update-service", "--remove", "web"], "update-service: removed web: /etc/service/web -> /etc/sv/web\n");
    assert!(sb.wait_exit(supervise, 5000).success(), "supervise exits after update-service --remove");
    assert!(!root.join("etc/service/web").exists());
    run_in(&root, &["update-service", "--remove", "web"]).code(100);
    run_in(&root, &["update-service", "--remove", "hello"]).code(100);
    ok(&["update-service", "--list"], "hello\nold\n");

    // Purged: nothing of ours is left, what the admin made is.
    succeeds(&sb, in_root(&root, &["dpkg", "--purge", "daemontools-rs"]), "purge.log", 120_000, "dpkg --purge");
    assert_eq!(dpkg_status(&root, "daemontools-rs"), "");
    assert_eq!(fs::read_to_string(root.join("etc/inittab")).unwrap(), INITTAB);
    assert!(root.join("etc/service/hello/run").is_file());
    assert_eq!(link_target(root.join("etc/service/old")), "/etc/sv/old");
    // New since before `dpkg -i`: only dpkg's and apt's records and logs,
    // the service added by the test and the supervise state of services.
    let kept = ["etc/sv/", "var/lib/supervise/", "var/lib/dpkg/", "var/log/", "var/cache/", "tmp/"];
    let left: Vec<String> =
        tree(root.path()).difference(&before).filter(|p| !kept.iter().any(|k| p.starts_with(k))).cloned().collect();
    assert_eq!(left, Vec::<String>::new(), "left behind by the purge");
    for program in ["usr/bin/svscan", "usr/sbin/update-service", "usr/lib/systemd/system/daemontools-rs.service"] {
        assert!(!root.join(program).exists(), "{program} after the purge");
    }
    eprintln!("{TEST}: done after {:?}", start.elapsed());
}
