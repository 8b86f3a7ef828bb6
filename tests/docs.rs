//! Where users look: `--help` and `--version` on every program, and a man
//! page for every program that groff renders without a warning and that
//! names every flag of the program's usage line, beside the overview page.

use crate::common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether roff names a page as `.BR name (N)` or `\fBname\fR(N)`.
fn names_page(roff: &str, name: &str, section: u8) -> bool {
    let name = name.replace('-', "\\-");
    roff.contains(&format!("{name} ({section})")) || roff.contains(&format!("{name}\\fR({section})"))
}

fn page(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(name)
}

/// The usage line `prog --help` prints, after checking the call.
fn help(sb: &Sandbox, prog: &str) -> String {
    let o = sb.run(bin(prog), &["--help"]);
    o.code(0).stderr_is("");
    let out = stdout(&o);
    assert!(out.starts_with(&format!("{prog}: usage: {prog}")), "{prog} --help: {out}");
    assert!(out.contains(&format!("{prog}(8)")), "{prog} --help names its page: {out}");
    out.lines().next().unwrap().to_string()
}

#[test]
fn every_program_answers_help_and_version() {
    let sb = Sandbox::new();
    // A module of programs/ for each, and every list of them alike: the
    // executable's own, the Makefile's and the Debian package's.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut listed: Vec<String> = fs::read_dir(root.join("programs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".rs").filter(|m| !["main", "build"].contains(m)).map(String::from))
        .collect();
    listed.sort();
    assert_eq!(listed, PROGRAMS, "programs/ and the list of programs");
    assert_eq!(stdout(&sb.run(multicall(), &["--list"])).lines().collect::<Vec<_>>(), PROGRAMS);
    let makefile = fs::read_to_string(root.join("Makefile")).unwrap().replace("\\\n", " ");
    let line = makefile.lines().find_map(|l| l.strip_prefix("PROGRAMS = ")).expect("PROGRAMS in the Makefile");
    assert_eq!(line.split_whitespace().collect::<Vec<_>>(), PROGRAMS, "the Makefile's PROGRAMS");
    let cargo = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let linked: Vec<&str> = cargo
        .lines()
        .filter_map(|l| {
            l.trim().strip_prefix("{ dest = \"usr/bin/")?.strip_suffix("\", link_name = \"daemontools-rs\" },")
        })
        .collect();
    assert_eq!(linked, PROGRAMS, "the Debian package's links");
    for prog in PROGRAMS {
        help(&sb, prog);
        let o = sb.run(bin(prog), &["--version"]);
        let expected = format!("{prog} (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION"));
        o.code(0).stdout_is(expected).stderr_is("");
    }
}

/// groff with every warning on prints nothing, and man renders the page.
fn renders_cleanly(path: &Path) -> String {
    let o = Command::new("groff")
        .args(["-ww", "-man", "-z", "-t"])
        .arg(path)
        .output()
        .expect("groff (.ci/deps installs it)");
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "groff -ww {}: {}",
        path.display(),
        stderr(&o)
    );
    let o = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(path)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("man (.ci/deps installs it)");
    assert!(o.status.success() && o.stderr.is_empty(), "man -l {}: {}", path.display(), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("NAME") && text.contains("SEE ALSO"), "{}: {text}", path.display());
    text
}

#[test]
fn every_program_has_a_man_page_naming_every_flag() {
    let sb = Sandbox::new();
    for prog in PROGRAMS {
        let path = page(&format!("{prog}.8"));
        let roff = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(roff.starts_with(".TH ") || roff.contains("\n.TH "), "{prog}.8 has no .TH");
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"] {
            assert!(
                roff.contains(&format!(".SH {section}")) || roff.contains(&format!(".SH \"{section}\"")),
                "{prog}.8 lacks {section}"
            );
        }
        let usage = help(&sb, prog);
        let flags = usage.split_whitespace().filter(|w| w.trim_start_matches('[').starts_with('-'));
        for letter in flags.flat_map(|w| w.trim_matches(|c| c == '[' || c == ']').trim_start_matches('-').chars()) {
            assert!(roff.contains(&format!("\\-{letter}")), "{prog}.8 does not document -{letter} of {usage:?}");
        }
        for long in ["\\-\\-help", "\\-\\-version"] {
            assert!(roff.contains(long), "{prog}.8 lacks {long}");
        }
        assert!(names_page(&roff, "daemontools-rs", 7), "{prog}.8 does not point to daemontools-rs(7)");
        let text = renders_cleanly(&path);
        assert!(text.contains(&prog.to_uppercase()), "{prog}.8 rendered: {text}");
    }
}

#[test]
fn the_overview_page_has_the_cookbook() {
    let path = page("daemontools-rs.7");
    let roff = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for needle in ["ln \\-s", "svc \\-d", "svstat", "exec 2>&1", "exec setuidgid", "envdir", "softlimit", "multilog"] {
        assert!(roff.contains(needle), "daemontools-rs.7 lacks {needle:?}");
    }
    for prog in PROGRAMS {
        assert!(names_page(&roff, prog, 8), "daemontools-rs.7 does not point to {prog}(8)");
    }
    renders_cleanly(&path);
}

#[test]
fn the_container_examples_name_files_and_programs_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docker = fs::read_to_string(root.join("examples/container/Dockerfile")).unwrap();
    let copy = docker.replace("\\\n", " ");
    let mut installed = Vec::new();
    for line in copy.lines().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let (sources, dest) = words.split_at(words.len() - 1);
        for source in sources {
            match source.strip_prefix("target/release/") {
                Some(prog) => {
                    assert_eq!(prog, "daemontools-rs", "Dockerfile copies {source}");
                    assert_eq!(dest[0], "/usr/local/bin/");
                    installed.push(format!("/usr/local/bin/{prog}"));
                }
                None => {
                    assert!(root.join(source).exists(), "Dockerfile copies {source}, which is not in the repository")
                }
            }
        }
    }
    // Every program's name, linked to the executable as `daemontools-rs --list` names them.
    let links = "RUN cd /usr/local/bin && for p in $(./daemontools-rs --list); do ln -s daemontools-rs \"$p\"";
    assert!(docker.contains(links), "the Dockerfile does not link the programs' names");
    installed.extend(PROGRAMS.iter().map(|p| format!("/usr/local/bin/{p}")));
    let pod = fs::read_to_string(root.join("examples/container/pod.yaml")).unwrap();
    for text in [&docker, &pod] {
        for used in text
            .split(|c: char| c.is_whitespace() || c == '"' || c == '[' || c == ',')
            .filter(|w| w.starts_with("/usr/local/bin/") && w.len() > 15)
        {
            assert!(installed.iter().any(|i| i == used), "{used} is used but the Dockerfile does not install it");
        }
    }
}

#[test]
fn the_overview_page_shows_the_unit_that_is_shipped() {
    let roff = fs::read_to_string(page("daemontools-rs.7")).unwrap();
    let start = roff.find("\n[Unit]\n").expect("a unit in daemontools-rs.7");
    let end = start + roff[start..].find("\n.EE").unwrap();
    let shown = roff[start..end].replace("\\-", "-");
    let shipped =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("init/daemontools-rs.service")).unwrap();
    let settings = |text: &str| -> Vec<String> {
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
    };
    let shipped = shipped.replace("=/usr/bin/svscanboot ", "=/usr/local/bin/svscanboot ");
    assert_eq!(settings(&shown), settings(&shipped), "daemontools-rs.7 shows another unit than init/");
}

#[test]
fn the_readme_cookbook_links_a_service_in_and_says_how_to_look_and_stop() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    // Made elsewhere, then linked: `rm` of the link is what removes it.
    assert!(readme.contains("ln -s /etc/sv/web /etc/service/web"), "the cookbook does not link the service in");
    assert!(!readme.contains("mkdir -p /etc/service/web"), "the cookbook builds the service in place");
    // Removed by telling that directory's svscan, not every svscan of the host.
    assert!(readme.contains("rm /etc/service/web; svscanctl -h /etc/service"));
    assert!(!readme.contains("; pkill -HUP"), "the README signals every svscan of the host");
    // svstat echoes the path as given.
    assert!(readme.contains("`/etc/service/web: up (pid 1234) 56 seconds`"));
    // After command 1: how to look, and how to stop.
    let top = &readme[..readme.find("## Install").unwrap()];
    for needle in ["svstat examples/service/*", "tai64nlocal < examples/service/hello/log/main/current", "Ctrl-C"] {
        assert!(top.contains(needle), "the README's start lacks {needle:?}");
    }
    // The README's cargo-deb is the one .ci/deps installs.
    let deps = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/deps")).unwrap();
    let pinned = "cargo install cargo-deb --version 3.8.0 --locked";
    assert!(deps.contains(pinned) && readme.contains(pinned), "cargo-deb not pinned alike");
}

/// The first line of a stored result: its date and the build it measured.
fn made(text: &str) -> (String, String) {
    let first = text.lines().next().unwrap_or("");
    let date = first.split(" on ").nth(1).and_then(|r| r.split(" UTC").next()).expect("a date on the first line");
    let build = first.split("release build of ").nth(1).expect("a build on the first line");
    let build = build.split([',', '.', ' ']).next().unwrap();
    (date.to_string(), build.to_string())
}

#[test]
fn the_readme_figures_are_the_stored_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    // Every row of the benchmark table, as bench/all.py wrote it, with its date and build.
    let results = fs::read_to_string(root.join("bench/results.md")).unwrap();
    let (date, build) = made(&results);
    assert!(readme.contains(&format!("Figures of {date} UTC (release build of {build})")), "{date} {build}");
    let rows: Vec<&str> = results.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| figure ")).collect();
    assert!(rows.len() > 20, "{} rows in bench/results.md", rows.len());
    for row in rows {
        assert!(readme.contains(&format!("{row}\n")), "README lacks this row of bench/results.md:\n{row}");
    }
    // The soak's table names the run it comes from.
    let soak = fs::read_to_string(root.join("bench/soak-results.txt")).unwrap();
    let (date, build) = made(&soak);
    assert!(readme.contains(&format!("Figures of {date} UTC (release build of {build})")), "soak {date} {build}");
}
