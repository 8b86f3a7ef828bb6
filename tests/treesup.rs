//! `tree` under supervise (issue 20): the same run script, whose main
//! process leaves a daemon behind (forked twice, in a session of its own),
//! under daemontools' supervise, ours without `tree`, and ours with it.

use crate::common::*;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Starts a daemon that escapes the run's process group (a double fork and
/// setsid, as a daemonizing server does) and writes its pid to `daemons`,
/// then runs on as the main process; `MAIN` is what the main process does.
fn script(main: &str) -> String {
    format!(
        "n=$(cat daemons 2>/dev/null | wc -l)\n\
         ( setsid sh -c 'echo $$ >> daemons; exec sleep 3000' & )\n\
         while [ $(cat daemons 2>/dev/null | wc -l) -le $n ]; do sleep 0.01; done\n\
         {main}\n"
    )
}

/// The pids written to `dir/daemons`.
fn daemons(dir: &Path) -> Vec<u32> {
    fs::read_to_string(dir.join("daemons")).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// The cgroup2 mount point, from /proc/self/mountinfo.
fn cgroup2() -> Option<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        (right.split(' ').next()? == "cgroup2").then(|| PathBuf::from(left.split(' ').nth(4).unwrap()))
    })
}

/// The mount point of the cgroup v1 hierarchy of the pids controller, on a
/// hybrid host.
fn pids_v1() -> Option<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        let mut fs_type = right.split(' ');
        let v1_pids = fs_type.next()? == "cgroup" && fs_type.nth(1)?.split(',').any(|o| o == "pids");
        v1_pids.then(|| PathBuf::from(left.split(' ').nth(4).unwrap()))
    })
}

/// Every cgroup named after the directory (`NAME.INODE`), in cgroup v2 and
/// in the v1 pids hierarchy, which a test must leave removed.
fn cgroups_of(dir: &Path) -> Vec<PathBuf> {
    let suffix = format!(".{}", fs::metadata(dir).map(|m| m.ino()).unwrap_or(0));
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = cgroup2().into_iter().chain(pids_v1()).collect();
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if e.file_name().to_string_lossy().ends_with(&suffix) {
                    found.push(e.path());
                }
                stack.push(e.path());
            }
        }
    }
    found
}

/// Kills what a test's daemons left and removes its cgroups, even when the
/// test failed: the supervise first, which would otherwise start the
/// service again, in a cgroup made anew, once the old one is removed.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        stop_supervise(&self.0);
        for pid in daemons(&self.0) {
            signal(pid, libc::SIGKILL);
        }
        for cg in cgroups_of(&self.0) {
            let _ = fs::write(cg.join("cgroup.kill"), "1");
            let procs = fs::read_to_string(cg.join("cgroup.procs")).unwrap_or_default();
            for pid in procs.lines().filter_map(|l| l.parse::<u32>().ok()).filter(|&p| p > 1) {
                signal(pid, libc::SIGKILL);
            }
            for _ in 0..100 {
                if fs::remove_dir(&cg).is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// Ends the supervise of `dir`, if one runs: `svc -dx` (the service down,
/// its tree emptied, then supervise exits), else after 10 s SIGKILL to what
/// works in the directory, supervise among it. Gives up after a while
/// rather than panic: it runs in a drop, maybe while a test fails.
fn stop_supervise(dir: &Path) {
    let supervised = || is_supervised(dir);
    let gone_within = |ms| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
        while supervised() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    };
    if !supervised() {
        return;
    }
    let null = std::process::Stdio::null;
    let _ = std::process::Command::new(bin("svc")).arg("-dx").arg(dir).stdout(null()).stderr(null()).status();
    if gone_within(10_000) {
        return;
    }
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if fs::read_link(entry.path().join("cwd")).is_ok_and(|cwd| cwd.starts_with(dir)) {
            signal(pid, libc::SIGKILL);
        }
    }
    gone_within(2000);
}

/// The service `s` running `script` under `program` (with a `tree` file if
/// asked), and the guard that cleans up after it.
fn start(sb: &Sandbox, script: &str, program: &Path, tree: bool) -> (PathBuf, Cleanup) {
    let dir = sb.service("s", script);
    let cleanup = Cleanup(dir.clone());
    if tree {
        fs::write(dir.join("tree"), "").unwrap();
    }
    sb.supervise(program, "s");
    (dir, cleanup)
}

/// `svc -d` under `program`; whether the daemon the run left is still alive.
fn daemon_after_down(program: &Path, tree: bool) -> bool {
    let sb = Sandbox::new();
    let (dir, _cleanup) = start(&sb, &script("exec sleep 3000"), program, tree);
    sb.wait_up("s", 0);
    wait_for(5000, "the daemon to start", || !daemons(&dir).is_empty());
    let daemon = daemons(&dir)[0];
    assert!(alive(daemon));
    sb.run(bin("svc"), &["-d", "s"]).code(0);
    sb.wait_down("s");
    // Ours drains the tree before it says more; give the daemon time to die.
    if tree {
        wait_for(5000, "the tree to be emptied", || !alive(daemon));
    } else {
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let left = alive(daemon);
    sb.run(bin("svc"), &["-x", "s"]).code(0);
    left
}

#[test]
fn a_daemon_outlives_svc_d_under_daemontools_and_ours_without_tree_but_not_with_it() {
    assert!(daemon_after_down(&real("supervise"), false), "daemontools' supervise signals the main process alone");
    assert!(daemon_after_down(&bin("supervise"), false), "without tree ours behaves as daemontools");
    assert!(!daemon_after_down(&bin("supervise"), true), "with tree nothing of the service is left");
}

/// A run that leaves a daemon and crashes, restarted `starts` times under
/// `program`: how many of its daemons are alive at the end.
fn daemons_after_crash_loop(program: &Path, tree: bool, starts: usize) -> usize {
    let sb = Sandbox::new();
    let (dir, _cleanup) = start(&sb, &script("exit 1"), program, tree);
    wait_for(starts as u64 * 2000 + 3000, "the crash loop to go round", || daemons(&dir).len() >= starts);
    sb.run(bin("svc"), &["-d", "s"]).code(0);
    sb.wait_down("s");
    let live = |d: &Path| daemons(d).into_iter().filter(|&p| alive(p)).count();
    if tree {
        wait_for(5000, "the last tree to be emptied", || live(&dir) == 0);
    }
    let n = live(&dir);
    sb.run(bin("svc"), &["-x", "s"]).code(0);
    n
}

#[test]
fn a_crash_loop_piles_up_daemons_under_daemontools_and_none_under_ours_with_tree() {
    assert!(daemons_after_crash_loop(&real("supervise"), false, 3) >= 3);
    assert_eq!(daemons_after_crash_loop(&bin("supervise"), true, 3), 0);
}

#[test]
fn the_cgroup_is_removed_when_supervise_exits() {
    let Some(mount) = cgroup2() else { return eprintln!("skipped: no cgroup2 mounted") };
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec sleep 3000\n");
    let _cleanup = Cleanup(dir.clone());
    fs::write(dir.join("tree"), "").unwrap();
    let supervise = sb.supervise(&bin("supervise"), "s");
    let pid = sb.wait_up("s", 0);
    let cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::")).unwrap().to_string();
    if path == "/" || path.is_empty() {
        return eprintln!(
            "skipped: the service is not in a cgroup of its own here (fallback: {:?})",
            sb.stderr_of("supervise-s")
        );
    }
    let cg = mount.join(path.trim_start_matches('/'));
    assert!(cg.is_dir(), "{}", cg.display());
    assert!(cgroups_of(&dir).contains(&cg));
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
    sb.wait_exit(supervise, 5000);
    wait_for(2000, "the cgroup to be removed", || !cg.exists());
}

#[test]
fn svstat_j_counts_the_whole_tree_and_plain_svstat_stays_daemontools() {
    let sb = Sandbox::new();
    let (dir, _cleanup) = start(&sb, &script("exec sleep 3000"), &bin("supervise"), true);
    let pid = sb.wait_up("s", 0);
    wait_for(5000, "the daemon to start", || !daemons(&dir).is_empty());
    let j = sb.svstat_json("s");
    let kind = if cgroup2().is_some() { j["containment"].as_str().unwrap() } else { "process-group" };
    assert!(["cgroup", "process-group"].contains(&kind), "{j}");
    if kind == "cgroup" {
        assert!(j["processes"].as_u64().unwrap() >= 2, "the main process and its daemon: {j}");
        assert!(j["memory_bytes"].as_u64().unwrap() > 0, "{j}");
    }
    assert!(j["cpu_seconds"].is_number() || j["cpu_seconds"].is_null(), "{j}");
    sb.run(bin("svstat"), &["s"]).code(0).stdout_has(&format!("s: up (pid {pid}) "));
    let none = sb.service("plain", "exec sleep 3000\n");
    let _c2 = Cleanup(none);
    sb.supervise(&bin("supervise"), "plain");
    sb.wait_up("plain", 0);
    let j = sb.svstat_json("plain");
    assert!(j["containment"].is_null() && j["processes"].is_null(), "no tree, no figures: {j}");
    sb.run(bin("svc"), &["-dx", "s", "plain"]).code(0);
}

#[test]
fn a_cgroup_removed_under_supervise_is_made_anew_and_contents_are_ignored_with_a_warning() {
    if cgroup2().is_none() {
        return eprintln!("skipped: no cgroup2 mounted");
    }
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec sleep 3000\n");
    let _cleanup = Cleanup(dir.clone());
    fs::write(dir.join("tree"), "yes please\n").unwrap();
    sb.supervise(&bin("supervise"), "s");
    let first = sb.wait_up("s", 0);
    let info = || fs::read_to_string(dir.join("supervise/info")).unwrap_or_default();
    let Some(cg) = info().lines().find_map(|l| l.strip_prefix("tree cgroup ").map(PathBuf::from)) else {
        return eprintln!("skipped: no cgroup here: {}", sb.stderr_of("supervise-s"));
    };
    // Emptied and removed by someone else while the service runs.
    fs::write(cg.join("cgroup.kill"), "1").unwrap();
    wait_for(2000, "the cgroup to be removed by hand", || fs::remove_dir(&cg).is_ok() || !cg.exists());
    let second = sb.wait_up_within("s", first, 5000);
    assert!(cg.is_dir(), "made anew: {}", cg.display());
    let procs = fs::read_to_string(cg.join("cgroup.procs")).unwrap();
    assert!(procs.lines().any(|l| l.trim() == second.to_string()), "{procs}");
    assert!(
        sb.stderr_of("supervise-s").contains("supervise: warning: s/tree: contents ignored\n"),
        "{}",
        sb.stderr_of("supervise-s")
    );
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
}

#[test]
fn a_tree_of_a_thousand_processes_is_emptied_by_svc_d() {
    let sb = Sandbox::new();
    let run = "i=1\nwhile [ $i -lt 1000 ]; do sleep 3000 & i=$((i+1)); done\necho started > started\nexec sleep 3000\n";
    let (dir, _cleanup) = start(&sb, run, &bin("supervise"), true);
    wait_for(30_000, "a thousand processes", || dir.join("started").exists());
    let count = || sb.svstat_json("s")["processes"].as_u64();
    wait_for(10_000, "svstat -j to count them", || count() >= Some(1000));
    let t0 = std::time::Instant::now();
    sb.run(bin("svc"), &["-d", "s"]).code(0);
    wait_for(10_000, "the tree to be emptied", || count().is_none_or(|n| n == 0));
    assert!(t0.elapsed() < std::time::Duration::from_secs(5), "{:?}", t0.elapsed());
    sb.run(bin("svc"), &["-x", "s"]).code(0);
}

#[test]
fn tree_added_or_removed_while_the_service_runs_counts_from_the_next_start() {
    let sb = Sandbox::new();
    let (dir, _cleanup) = start(&sb, "exec sleep 3000\n", &bin("supervise"), false);
    let first = sb.wait_up("s", 0);
    let containment = || sb.svstat_json("s")["containment"].as_str().map(String::from);
    fs::write(dir.join("tree"), "").unwrap();
    sb.run(bin("svc"), &["-u", "s"]).code(0);
    assert_eq!(containment(), None, "added: not for the run already going");
    sb.run(bin("svc"), &["-t", "s"]).code(0);
    let second = sb.wait_up_within("s", first, 5000);
    wait_for(2000, "the new run's tree to be told", || containment().is_some());
    let cgroups = cgroups_of(&dir);
    fs::remove_file(dir.join("tree")).unwrap();
    sb.run(bin("svc"), &["-t", "s"]).code(0);
    sb.wait_up_within("s", second, 5000);
    wait_for(2000, "no tree told for the run without one", || containment().is_none());
    for cg in cgroups {
        wait_for(2000, "the cgroup left behind to be removed", || !cg.exists());
    }
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
}

/// `svstat -j`'s count of the tree's processes, 0 when it says none.
fn processes(sb: &Sandbox) -> u64 {
    sb.svstat_json("s")["processes"].as_u64().unwrap_or(0)
}

/// A run that forks 200 sleepers, then says so and becomes one more.
const FORKS_200: &str =
    "exec 2>&1\ni=0\nwhile [ $i -lt 200 ]; do sleep 3000 & i=$((i+1)); done\necho started > started\nexec sleep 3000\n";

#[test]
fn a_fork_bomb_is_bounded_by_pids_max_and_max_lifts_the_bound() {
    let sb = Sandbox::new();
    let dir = sb.service("s", FORKS_200);
    let _cleanup = Cleanup(dir.clone());
    fs::write(dir.join("tree"), "").unwrap();
    fs::write(dir.join("pids-max"), "20\n").unwrap();
    sb.supervise(&bin("supervise"), "s");
    wait_for(5000, "a start", || sb.try_status("s").is_some_and(|s| s.pid != 0) || processes(&sb) > 0);
    if let Some(line) = sb.stderr_of("supervise-s").lines().find(|l| l.contains("pids-max: not applied")) {
        eprintln!("SKIPPED a_fork_bomb_is_bounded_by_pids_max: {line}");
        sb.run(bin("svc"), &["-dx", "s"]).code(0);
        return;
    }
    // Runs that cannot fork all they ask die and are started again: the
    // kernel refuses forks (pids.events counts them), and the tree never
    // holds more than 20 processes.
    let refused = || {
        let events = cgroups_of(&dir).into_iter().find_map(|cg| fs::read_to_string(cg.join("pids.events")).ok());
        events.and_then(|e| e.lines().find_map(|l| l.strip_prefix("max ")?.trim().parse::<u64>().ok())).unwrap_or(0)
    };
    let (mut most, t0) = (0, std::time::Instant::now());
    while t0.elapsed() < std::time::Duration::from_millis(2000) || refused() == 0 {
        assert!(t0.elapsed() < std::time::Duration::from_secs(15), "no fork refused in 15 s");
        most = most.max(processes(&sb));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(most <= 20, "at most 20 processes: {most}");
    assert!(!dir.join("started").exists(), "the run never forked its 200");
    let said = fs::read_to_string(sb.join("supervise-s.out")).unwrap_or_default();
    assert!(said.contains("fork"), "the run said its fork failed: {said}");
    fs::write(dir.join("pids-max"), "max\n").unwrap();
    wait_for(10_000, "the next start to fork its 200", || dir.join("started").exists());
    wait_for(5000, "svstat -j to count them", || processes(&sb) >= 201);
    let cgroups = cgroups_of(&dir);
    assert!(!cgroups.is_empty());
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
    for cg in cgroups {
        wait_for(5000, "each cgroup of the tree, v1 pids included, to be removed", || !cg.exists());
    }
}

#[test]
fn without_pids_max_the_limit_is_systemds_default() {
    let sb = Sandbox::new();
    let dir = sb.service("s", "exec sleep 3000\n");
    let _cleanup = Cleanup(dir.clone());
    fs::write(dir.join("tree"), "").unwrap();
    let supervise = sb.supervise(&bin("supervise"), "s");
    let run = sb.wait_up("s", 0);
    let Some(max) = cgroups_of(&dir).into_iter().map(|cg| cg.join("pids.max")).find(|f| f.exists()) else {
        eprintln!("SKIPPED without_pids_max_the_limit_is_systemds_default: no pids controller here");
        sb.run(bin("svc"), &["-dx", "s"]).code(0);
        return;
    };
    let kernel =
        |name: &str| fs::read_to_string(format!("/proc/sys/kernel/{name}")).unwrap().trim().parse::<u64>().unwrap();
    let mut expected = kernel("pid_max").min(kernel("threads-max")) * 15 / 100;
    // In a v1 pids cgroup supervise lives too, so that run is born there:
    // one more.
    let procs = fs::read_to_string(max.with_file_name("cgroup.procs")).unwrap();
    let members: Vec<u32> = procs.lines().map(|l| l.parse().unwrap()).collect();
    assert!(members.contains(&run), "run is in the limit's cgroup: {members:?}");
    if pids_v1().is_some_and(|v1| max.starts_with(v1)) {
        assert!(members.contains(&supervise), "supervise too, in v1: {members:?}");
        expected += 1;
    }
    assert_eq!(fs::read_to_string(&max).unwrap().trim(), expected.to_string(), "{}", max.display());
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
}

/// A cgroup `dtrs-room-PID` at the top of cgroup v2 with a controller
/// enabled above it, for a test of svscan's leaf; on drop, even when the
/// test failed, everything in it is killed, it is removed, and the
/// controller is disabled again at the top if the test enabled it.
struct Room {
    top: PathBuf,
    dir: PathBuf,
    controller: String,
    enabled_at_top: bool,
    /// One room at a time: each may enable and disable the controller at the top.
    _one: std::sync::MutexGuard<'static, ()>,
}

static ONE_ROOM: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Room {
    /// None (the test is SKIPPED, said why) where no controller can be had.
    fn new() -> Option<Room> {
        let one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
        let top = cgroup2()?;
        let available = fs::read_to_string(top.join("cgroup.controllers")).unwrap_or_default();
        // pids where cgroup v2 has it; else any, hugetlb on a hybrid host:
        // the kernel's rule is the same for each.
        let words: Vec<&str> = available.split_whitespace().collect();
        let Some(controller) = words.iter().find(|&&c| c == "pids").or(words.first()).map(|c| c.to_string()) else {
            eprintln!("SKIPPED svscan's leaf: no controller in {}/cgroup.controllers", top.display());
            return None;
        };
        let enabled = fs::read_to_string(top.join("cgroup.subtree_control")).unwrap_or_default();
        let enabled_at_top = !enabled.split_whitespace().any(|c| c == controller);
        if enabled_at_top {
            if let Err(e) = fs::write(top.join("cgroup.subtree_control"), format!("+{controller}")) {
                eprintln!("SKIPPED svscan's leaf: cannot enable {controller} at {}: {e}", top.display());
                return None;
            }
        }
        let dir = top.join(format!("dtrs-room-{}", std::process::id()));
        let room = Room { top, dir, controller, enabled_at_top, _one: one };
        fs::create_dir(&room.dir).unwrap();
        Some(room)
    }

    /// Moves `pid` into the cgroup `sub` of the room ("" for the room itself).
    fn put(&self, pid: u32, sub: &str) -> std::io::Result<()> {
        fs::write(self.dir.join(sub).join("cgroup.procs"), pid.to_string())
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let _ = fs::write(self.dir.join("cgroup.kill"), "1");
        for _ in 0..100 {
            let mut subs: Vec<PathBuf> = fs::read_dir(&self.dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect();
            subs.push(self.dir.clone());
            if subs.iter().all(|d| fs::remove_dir(d).is_ok() || !d.exists()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if self.enabled_at_top {
            let _ = fs::write(self.top.join("cgroup.subtree_control"), format!("-{}", self.controller));
        }
    }
}

/// The cgroup v2 path of `pid` (`0::` of /proc/PID/cgroup).
fn cgroup_of(pid: u32) -> String {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    text.lines().find_map(|l| l.strip_prefix("0::")).unwrap_or("").to_string()
}

#[test]
fn svscan_alone_moves_into_a_leaf_and_supervise_makes_the_services_cgroups_beside_it() {
    let Some(room) = Room::new() else { return };
    let sb = Sandbox::new();
    let name = room.dir.file_name().unwrap().to_str().unwrap().to_string();
    // A process alone in the room (as svscan under Delegate=yes) moves into
    // the leaf, and the controller is enabled for the room's children.
    let mut holder = sb.command("sleep");
    holder.arg("300");
    let pid = sb.spawn(holder, "holder");
    room.put(pid, "").unwrap();
    let wanted = [room.controller.as_str()];
    let enabled = daemontools::tree::make_room(pid, &wanted).map_err(|e| e.reason()).unwrap();
    assert_eq!(enabled, wanted);
    assert_eq!(cgroup_of(pid), format!("/{name}/supervise"));
    let control = fs::read_to_string(room.dir.join("cgroup.subtree_control")).unwrap();
    assert!(control.split_whitespace().any(|c| c == room.controller), "{control}");
    // The kernel's rule is now in force: the room itself takes no process.
    let err = room.put(pid, "").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
    assert_eq!(daemontools::tree::make_room(pid, &wanted).map_err(|e| e.reason()).unwrap(), Vec::<&str>::new());

    // supervise in the leaf makes its service's cgroup beside it.
    let dir = sb.service("s", "exec sleep 3000\n");
    let _cleanup = Cleanup(dir.clone());
    fs::write(dir.join("tree"), "").unwrap();
    let leaf_procs = room.dir.join("supervise/cgroup.procs");
    let wrapper = format!("echo $$ > '{}' && exec '{}' s", leaf_procs.display(), bin("supervise").display());
    let mut cmd = sb.command("/bin/sh");
    cmd.args(["-c", &wrapper]);
    let supervise = sb.spawn(cmd, "supervise-s");
    let run = sb.wait_up("s", 0);
    assert_eq!(cgroup_of(supervise), format!("/{name}/supervise"));
    let ino = fs::metadata(&dir).unwrap().ino();
    assert_eq!(cgroup_of(run), format!("/{name}/s.{ino}"), "beside the leaf, not in it");
    sb.run(bin("svc"), &["-dx", "s"]).code(0);
    sb.wait_exit(supervise, 5000);
    wait_for(5000, "the service's cgroup to be removed", || !room.dir.join(format!("s.{ino}")).exists());
}

#[test]
fn a_process_not_alone_in_its_cgroup_is_not_moved() {
    let Some(room) = Room::new() else { return };
    // Dropped before the room: its sleeps are gone before the room is removed.
    let sb = Sandbox::new();
    let sleep = |log| {
        let mut cmd = sb.command("sleep");
        cmd.arg("300");
        sb.spawn(cmd, log)
    };
    let (a, b) = (sleep("a"), sleep("b"));
    room.put(a, "").unwrap();
    room.put(b, "").unwrap();
    let before = cgroup_of(a);
    let wanted = [room.controller.as_str()];
    assert_eq!(daemontools::tree::make_room(a, &wanted).map_err(|e| e.reason()).unwrap(), Vec::<&str>::new());
    assert_eq!(cgroup_of(a), before, "a shell's session is not ours to rearrange");
    assert!(!room.dir.join("supervise").exists());
}
