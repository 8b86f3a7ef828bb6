//! examples/container: the image built from the shipped Dockerfile by a real
//! container engine (podman, as root) runs svscan as PID 1, shows the
//! service's lines in the engine's logs, carries a working tai64nlocal and
//! stops with exit code 0 inside the engine's grace period; the build context
//! keeps target/ out (.dockerignore); pod.yaml names a pinned, locally built
//! image.
//!
//! No registry is reachable here, so the image is built on a base made by the
//! test `FROM scratch` with Debian's static busybox (package busybox-static),
//! passed as the Dockerfile's one build argument, `BASE`. The podman test is
//! skipped, saying why on stderr, where podman is missing or cannot start a
//! container.

use crate::common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The programs the Dockerfile copies from target/release/.
fn copied_programs(dockerfile: &str) -> Vec<String> {
    let joined = dockerfile.replace("\\\n", " ");
    let mut progs = Vec::new();
    for line in joined.lines().filter(|l| l.starts_with("COPY ")) {
        for word in line.split_whitespace() {
            if let Some(prog) = word.strip_prefix("target/release/") {
                progs.push(prog.to_string());
            }
        }
    }
    progs
}

/// The files (not programs) the Dockerfile copies from the repository.
fn copied_files(dockerfile: &str) -> Vec<String> {
    let joined = dockerfile.replace("\\\n", " ");
    let mut files = Vec::new();
    for line in joined.lines().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let sources = &words[..words.len() - 1];
        files.extend(sources.iter().filter(|w| !w.starts_with("target/")).map(|w| w.to_string()));
    }
    files
}

// ---- .dockerignore, read as Docker reads it ----

/// One glob segment: `*` any run of bytes, `?` one byte, the rest literal.
fn glob(pat: &[u8], name: &[u8]) -> bool {
    match (pat.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&pat[1..], name) || (!name.is_empty() && glob(pat, &name[1..])),
        (Some(b'?'), Some(_)) => glob(&pat[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob(&pat[1..], &name[1..]),
        _ => false,
    }
}

/// A pattern's segments against a path's; `**` is any number of segments.
fn segments(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|i| segments(rest, &path[i..])),
        Some((p, rest)) => !path.is_empty() && glob(p.as_bytes(), path[0].as_bytes()) && segments(rest, &path[1..]),
    }
}

/// Whether `path` (relative to the context) stays out of the build context:
/// the last pattern that matches it or one of its parent directories wins,
/// a `!` pattern letting it in; leading and trailing `/` do not count.
fn ignored(dockerignore: &str, path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out = false;
    for line in dockerignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (keep, pat) = match line.strip_prefix('!') {
            Some(p) => (true, p.trim()),
            None => (false, line),
        };
        let pat: Vec<&str> = pat.trim_matches('/').split('/').filter(|s| !s.is_empty() && *s != ".").collect();
        if (1..=parts.len()).any(|n| segments(&pat, &parts[..n])) {
            out = !keep;
        }
    }
    out
}

#[test]
fn the_ignore_reader_reads_patterns_as_docker_does() {
    let rules = "target\n!target/release/svscan\nexamples/**/supervise\n/.git/\n";
    assert!(ignored(rules, "target"));
    assert!(ignored(rules, "target/debug/deps/libx.rlib"));
    assert!(!ignored(rules, "target/release/svscan"));
    assert!(ignored(rules, "target/release/svscan.d"));
    assert!(ignored(rules, "examples/service/hello/supervise/lock"));
    assert!(ignored(rules, "examples/supervise"));
    assert!(ignored(rules, ".git/HEAD"));
    assert!(!ignored(rules, "examples/service/hello/run"));
    assert!(!ignored("", "target/debug/x"));
}

#[test]
fn dockerignore_keeps_target_out_but_the_programs_the_dockerfile_copies() {
    let path = root().join(".dockerignore");
    let rules = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}: the build context (the repository root) would carry all of target/", path.display())
    });
    let dockerfile = read("examples/container/Dockerfile");
    for out in [
        "target/debug/svscan",
        "target/debug/deps/libnix-0123.rlib",
        "target/release/deps/svscan-0123",
        "target/release/build/libc-0123/output",
        "target/release/incremental/x",
        "target/release/svscan.d",
        "target/package/daemontools-rs-0.1.0.crate",
        ".git/objects/pack/x.pack",
        "examples/service/hello/supervise/status",
        "examples/service/hello/log/main/current",
        "examples/service/.svscan/control",
    ] {
        assert!(ignored(&rules, out), ".dockerignore lets {out} into the build context");
    }
    let programs = copied_programs(&dockerfile);
    assert_eq!(programs, ["daemontools-rs"], "the Dockerfile copies the one executable");
    assert!(!ignored(&rules, "target/release/daemontools-rs"), ".dockerignore keeps the executable out");
    // The programs' links `make` leaves beside it are made in the image instead.
    for prog in PROGRAMS {
        assert!(ignored(&rules, &format!("target/release/{prog}")), ".dockerignore lets the link {prog} in");
    }
    for file in copied_files(&dockerfile) {
        assert!(!ignored(&rules, &file), ".dockerignore keeps {file}, which the Dockerfile copies, out");
    }
}

// ---- pod.yaml ----

/// The value of `key:` in a YAML line, unquoted.
fn yaml_value<'a>(yaml: &'a str, key: &str) -> Vec<&'a str> {
    yaml.lines()
        .filter_map(|l| l.trim_start().trim_start_matches("- ").strip_prefix(key))
        .filter_map(|rest| rest.strip_prefix(':'))
        .map(|v| v.split(" #").next().unwrap().trim().trim_matches('"').trim_matches('\''))
        .collect()
}

/// The tag of an image reference (`None` without one), digests aside.
fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap();
    let last = name.rsplit('/').next().unwrap();
    last.split_once(':').map(|(_, t)| t)
}

#[test]
fn pod_yaml_runs_a_pinned_local_image_without_pulling_it() {
    let pod = read("examples/container/pod.yaml");
    let images = yaml_value(&pod, "image");
    assert_eq!(images.len(), 1, "pod.yaml names one image: {images:?}");
    let image = images[0];
    match tag(image) {
        Some(t) => assert_ne!(t, "latest", "pod.yaml runs {image}: a :latest image is pulled every time (Always)"),
        None => panic!("pod.yaml runs {image} without a tag, which is :latest, pulled every time (Always)"),
    }
    let policies = yaml_value(&pod, "imagePullPolicy");
    assert!(
        policies.len() == 1 && ["IfNotPresent", "Never"].contains(&policies[0]),
        "pod.yaml should say imagePullPolicy: IfNotPresent (or Never) for an image built locally, has {policies:?}"
    );
    // The image the Dockerfile's comment builds is the one the pod runs.
    let dockerfile = read("examples/container/Dockerfile");
    let build = dockerfile.lines().find(|l| l.contains("docker build")).expect("the Dockerfile says how to build it");
    let words: Vec<&str> = build.split_whitespace().collect();
    let built = words.iter().position(|w| *w == "-t").map(|i| words[i + 1]).expect("docker build -t NAME:TAG");
    assert_eq!(built, image, "the Dockerfile builds {built}, pod.yaml runs {image}");
}

// ---- the image, built and run by podman ----

/// podman as the team runs it here: runc, cgroupfs, and no systemd.
fn podman(args: &[&str]) -> Command {
    let mut c = Command::new("podman");
    c.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir("/")
        .args(["--runtime", "runc", "--cgroup-manager=cgroupfs"])
        .args(args)
        .stdin(Stdio::null());
    c
}

/// Runs podman to completion; killed (and the test failed) after `ms`.
fn run(args: &[&str], ms: u64) -> Output {
    let mut cmd = podman(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Read both pipes while waiting: a build prints more than a pipe holds.
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read_out = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let read_err = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    let status = finish_within(&mut child, ms, &format!("podman {}", args.join(" ")));
    Output { status, stdout: read_out.join().unwrap().into_bytes(), stderr: read_err.join().unwrap().into_bytes() }
}

fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn ok(args: &[&str], ms: u64) -> Output {
    let o = run(args, ms);
    assert!(o.status.success(), "podman {} failed ({}):\n{}", args.join(" "), o.status, both(&o));
    o
}

const LIMITS: [&str; 4] = ["--ulimit", "nofile=1000:1000", "--ulimit", "nproc=1000:1000"];

/// Removes, when it drops, every container and image the test made.
struct Podman {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Drop for Podman {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = podman(&["rm", "-f", "-t", "0", c]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
        for i in self.images.iter().rev() {
            let _ = podman(&["rmi", "-f", i]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
}

/// Removes what an earlier run of this test left when it was killed before
/// its guard could drop: names carry the pid of the run that made them.
fn sweep() {
    let dead = |name: &str| {
        let pid = name.split("dtrs-test-").nth(1).and_then(|r| r.split('-').nth(1)).and_then(|p| p.parse().ok());
        pid.is_some_and(|p: u32| !Path::new(&format!("/proc/{p}")).exists())
    };
    let containers = stdout(&run(&["ps", "-a", "--format", "{{.Names}}"], 30_000));
    for c in containers.lines().filter(|n| n.starts_with("dtrs-test-") && dead(n)) {
        let _ = run(&["rm", "-f", "-t", "0", c], 30_000);
    }
    let images = stdout(&run(&["images", "--format", "{{.Repository}}:{{.Tag}}"], 30_000));
    for i in images.lines().filter(|n| n.starts_with("localhost/dtrs-test-") && dead(n)) {
        let _ = run(&["rmi", "-f", i], 30_000);
    }
}

const SKIP: &str = "SKIPPED podman_runs_the_example_image";

/// The base image, `FROM scratch` with a static busybox as /bin/sh and the
/// rest; `None` (the test skipped) where podman cannot build it or start a
/// container from it.
fn base_image(pm: &mut Podman, sb: &Sandbox, id: &str) -> Option<String> {
    if podman(&["--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        eprintln!("{SKIP}: podman is not installed (apt-get install podman runc)");
        return None;
    }
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("{SKIP}: no static /bin/busybox for the base image (apt-get install busybox-static)");
        return None;
    }
    let ctx = sb.join("base");
    fs::create_dir(&ctx).unwrap();
    fs::copy(busybox, ctx.join("busybox")).unwrap();
    fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    let image = format!("localhost/dtrs-test-base-{id}:1");
    pm.images.push(image.clone());
    let ctx = ctx.to_str().unwrap();
    let o = run(&["build", "--layers=false", "--pull=never", "--network", "none", "-t", &image, ctx], 120_000);
    if !o.status.success() {
        eprintln!("{SKIP}: podman cannot build an image FROM scratch here:\n{}", both(&o));
        return None;
    }
    let name = format!("dtrs-test-probe-{id}");
    pm.containers.push(name.clone());
    let mut args = vec!["run", "--rm", "--name", &name, "--network", "none"];
    args.extend(LIMITS);
    args.extend([image.as_str(), "/bin/sh", "-c", "echo up"]);
    let o = run(&args, 60_000);
    if !o.status.success() || stdout(&o) != "up\n" {
        eprintln!("{SKIP}: podman cannot start a container here ({}):\n{}", o.status, both(&o));
        return None;
    }
    Some(image)
}

/// What the engine has of the container's stdout and stderr.
fn logs(name: &str) -> String {
    both(&ok(&["logs", name], 30_000))
}

/// Whether `line` is `@` + a TAI64N label + ` ` + `rest`.
fn labelled(line: &str, rest: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 26
        && b[0] == b'@'
        && b[1..25].iter().all(|c| c.is_ascii_hexdigit())
        && b[25] == b' '
        && b[26..].starts_with(rest.as_bytes())
}

#[test]
fn podman_runs_the_example_image() {
    let start = Instant::now();
    let sb = Sandbox::new();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    let id = format!("{}-{nanos}", std::process::id());
    let mut pm = Podman { containers: Vec::new(), images: Vec::new() };
    let Some(base) = base_image(&mut pm, &sb, &id) else { return };
    sweep();
    let dockerfile = read("examples/container/Dockerfile");
    let root_dir = root().to_str().unwrap();

    // The build context, the repository root, as the engine sees it through
    // .dockerignore: of target/ only the executable built for release (none
    // where only `cargo build` ran), no .git, every file the Dockerfile copies.
    let probe = sb.join("Probe");
    let listing = "cd /ctx && echo CTX-BEGIN && find . -type f | cut -c3- && echo CTX-KB $(du -sk . | cut -f1)";
    fs::write(&probe, format!("FROM {base}\nCOPY . /ctx/\nRUN {listing}\n")).unwrap();
    let ctx_image = format!("localhost/dtrs-test-context-{id}:1");
    pm.images.push(ctx_image.clone());
    let args = ["build", "--layers=false", "--pull=never", "--network", "none", "-f", probe.to_str().unwrap(), "-t"];
    let o = ok(&[&args[..], &[ctx_image.as_str(), root_dir]].concat(), 300_000);
    let text = stdout(&o);
    let listing = text.split("CTX-BEGIN\n").nth(1).expect("the probe's listing");
    let kb: u64 = listing.split("CTX-KB ").nth(1).and_then(|t| t.split_whitespace().next()?.parse().ok()).unwrap();
    let carried: Vec<&str> = listing.split("CTX-KB ").next().unwrap().lines().collect();
    let mut out: Vec<&str> =
        carried.iter().copied().filter(|f| f.starts_with("target/") || f.starts_with(".git/")).collect();
    out.sort();
    let expected: Vec<String> =
        ["target/release/daemontools-rs".to_string()].into_iter().filter(|f| root().join(f).exists()).collect();
    assert!(
        out == expected,
        "the build context should carry, of target/ and .git/, only {expected:?}; it carries {} files: {:?}...",
        out.len(),
        &out[..out.len().min(20)]
    );
    assert!(kb < 64 * 1024, "the build context is {kb} KiB");
    for file in copied_files(&dockerfile) {
        assert!(carried.contains(&file.as_str()), "the build context lacks {file}, which the Dockerfile copies");
    }
    ok(&["rmi", "-f", &ctx_image], 60_000);

    // The image, from the shipped Dockerfile with one build argument (BASE),
    // on a context of the files it copies and the repository's .dockerignore,
    // the programs being this test run's own (target/debug under `cargo
    // test`, as the package test does): the suite builds no release.
    let ctx = sb.join("context");
    for file in copied_files(&dockerfile).iter().chain([&".dockerignore".to_string()]) {
        fs::create_dir_all(ctx.join(file).parent().unwrap()).unwrap();
        fs::copy(root().join(file), ctx.join(file)).unwrap();
    }
    fs::create_dir_all(ctx.join("target/release")).unwrap();
    for prog in copied_programs(&dockerfile) {
        assert_eq!(prog, "daemontools-rs");
        let (from, to) = (multicall(), ctx.join("target/release").join(&prog));
        fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(drop)).unwrap();
    }
    let image = format!("localhost/dtrs-test-hello-{id}:1");
    pm.images.push(image.clone());
    let build_arg = format!("BASE={base}");
    let file = root().join("examples/container/Dockerfile");
    let mut args = vec!["build", "--layers=false", "--pull=never", "--network", "none", "--format", "docker"];
    args.extend(["--build-arg", &build_arg, "-f", file.to_str().unwrap(), "-t", &image, ctx.to_str().unwrap()]);
    ok(&args, 300_000);

    // Detached, as `docker run -d`; the health check runs only when asked.
    let name = format!("dtrs-test-hello-{id}");
    pm.containers.push(name.clone());
    let mut args = vec!["run", "-d", "--name", &name, "--network", "none", "--log-driver", "k8s-file"];
    args.extend(["--health-interval", "disable"]);
    args.extend(LIMITS);
    args.push(&image);
    ok(&args, 60_000);

    // hello's lines reach the engine's logs, each with its TAI64N label.
    let mut seen = String::new();
    wait_for(15_000, "hello's first line in `podman logs`", || {
        seen = logs(&name);
        seen.lines().any(|l| labelled(l, "hello number 1 from pid "))
    });
    let first = seen.lines().find(|l| labelled(l, "hello number 1 from pid ")).unwrap().to_string();

    // svscan is PID 1 by its own name, and every supervise by its own (busybox has no pgrep).
    let o = ok(&["exec", &name, "sh", "-c", "cat /proc/1/comm; cat /proc/[0-9]*/comm | grep -cx supervise"], 30_000);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("svscan"), "{}", both(&o));
    let supervisors: usize = lines.next().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    assert_eq!(supervisors, 4, "supervise processes in the container: {}", both(&o));

    // tai64nlocal is in the image and reads the log: the container has no
    // zone file, so it prints UTC, as ours on the host with TZ=UTC does.
    let current = "/etc/service/hello/log/main/current";
    let o = ok(&["exec", &name, "sh", "-c", &format!("command -v tai64nlocal && tai64nlocal < {current}")], 30_000);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("/usr/local/bin/tai64nlocal"), "{}", both(&o));
    let shown = lines.next().unwrap_or_else(|| panic!("tai64nlocal printed nothing:\n{}", both(&o)));
    fs::write(sb.join("first"), format!("{first}\n")).unwrap();
    let mut host = sb.command(bin("tai64nlocal"));
    host.env("TZ", "UTC").stdin(fs::File::open(sb.join("first")).unwrap());
    let want = host.output().unwrap();
    assert_eq!(shown, stdout(&want).trim_end(), "tai64nlocal in the image on {first:?}");

    // The Dockerfile's HEALTHCHECK (svok -U on every service) passes, once
    // checked's first check has (half a second after its start); svstat in
    // the image says checked is ready. Ours by path (busybox has an svstat).
    wait_for(15_000, "the HEALTHCHECK to pass", || run(&["healthcheck", "run", &name], 30_000).status.success());
    let o = ok(&["exec", &name, "/usr/local/bin/svstat", "/etc/service/checked"], 30_000);
    assert!(stdout(&o).contains(", ready "), "{}", both(&o));

    // A service with `tree` inside the container: contained in a cgroup
    // where podman lets the container write its cgroup2, else in a process
    // group, which supervise says on stderr; svstat -j tells which. Ours by
    // path: busybox has an svc and an svstat of its own, in /bin.
    let script =
        "cd /usr/local/bin && mkdir -p /tmp/t && printf '#!/bin/sh\\nsleep 300 &\\nexec sleep 300\\n' > /tmp/t/run \
                  && chmod +x /tmp/t/run && touch /tmp/t/tree && (./supervise /tmp/t > /tmp/t.err 2>&1 &) \
                  && i=0; while [ $i -lt 50 ] && ! ./svstat /tmp/t | grep -q ': up'; do sleep 0.1; i=$((i+1)); done; \
                  sleep 0.3; ./svstat -j /tmp/t; cat /tmp/t.err; ./svc -dx /tmp/t";
    let o = ok(&["exec", &name, "sh", "-c", script], 30_000);
    let text = stdout(&o);
    let json: serde_json::Value =
        serde_json::from_str(text.lines().next().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {}", both(&o)));
    match json["containment"].as_str() {
        Some("cgroup") => assert!(json["processes"].as_u64() >= Some(2), "{text}"),
        Some("process-group") => assert!(text.contains("/tmp/t/tree: process group instead of a cgroup: "), "{text}"),
        _ => panic!("no containment in the container: {text}"),
    }
    eprintln!("tree in a podman container: {}", json["containment"]);

    // podman stop: SIGTERM, then SIGKILL after 10 s. svscan as PID 1 takes
    // hello down, then its logger, and exits 0 before that.
    let stop = Instant::now();
    ok(&["stop", "-t", "10", &name], 30_000);
    let took = stop.elapsed();
    let state = stdout(&ok(&["inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", &name], 30_000));
    assert_eq!(state.trim(), "0 false", "svscan's exit (code, OOM-killed) after `podman stop` ({took:?})");
    assert!(took < Duration::from_secs(10), "`podman stop` took {took:?}: the grace period is 10 s");

    // The logger wrote out every line and closed `current` cleanly (mode
    // 0744), and the engine's logs have the same lines.
    let copy = sb.join("current");
    ok(&["cp", &format!("{name}:{current}"), copy.to_str().unwrap()], 30_000);
    let mode = fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o744, "multilog's current after the stop");
    let kept = fs::read_to_string(&copy).unwrap();
    let logged = logs(&name);
    let logged: Vec<&str> = logged.lines().filter(|l| labelled(l, "hello number")).collect();
    assert!(logged.first() == Some(&first.as_str()), "{logged:?}");
    assert_eq!(kept.lines().collect::<Vec<_>>(), logged, "current and `podman logs`");

    // The container's main command: arguments after the image are the
    // ENTRYPOINT's (svscan ... /etc/service), so `-- COMMAND` runs COMMAND
    // beside the services, and the container ends with its code once every
    // service is down.
    let main = format!("dtrs-test-main-{id}");
    pm.containers.push(main.clone());
    let mut args = vec!["run", "-d", "--name", &main, "--network", "none", "--health-interval", "disable"];
    args.extend(LIMITS);
    args.extend([image.as_str(), "--", "sh", "-c", "sleep 1; exit 7"]);
    ok(&args, 60_000);
    let code = stdout(&ok(&["wait", &main], 60_000));
    assert_eq!(code.trim(), "7", "the main command's code is the container's");
    let said = logs(&main);
    assert!(said.lines().any(|l| labelled(l, "hello number 1 from pid ")), "the services ran beside it: {said}");

    drop(pm);
    let left = stdout(&ok(&["ps", "-a", "--format", "{{.Names}}"], 30_000));
    assert!(!left.contains(&id), "containers left: {left}");
    let left = stdout(&ok(&["images", "--format", "{{.Repository}}"], 30_000));
    assert!(!left.contains(&id), "images left: {left}");
    eprintln!("podman_runs_the_example_image: {:.1} s", start.elapsed().as_secs_f64());
}
