//! The harness every integration test uses: a fresh temp dir, the built
//! binaries, a cleared environment, polling with a deadline, and a guard that
//! SIGKILLs every process the test started (and anything still running inside
//! its directory) when it drops, even when the test fails; a command's
//! result that asserts its exit code and output fluently ([`Run`]), and a
//! supervised service running a script ([`Supervised`]).

use daemontools::status::Status;
use std::ffi::OsStr;
use std::fs;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Every program of the suite, as `daemontools-rs --list` names them.
pub const PROGRAMS: [&str; 21] = [
    "envdir",
    "envuidgid",
    "fghack",
    "mksv",
    "multilog",
    "pgrphack",
    "readproctitle",
    "setlock",
    "setuidgid",
    "softlimit",
    "supervise",
    "svc",
    "svlog",
    "svlogfwd",
    "svok",
    "svscan",
    "svscanboot",
    "svscanctl",
    "svstat",
    "tai64n",
    "tai64nlocal",
];

/// The one executable, `daemontools-rs`, which cargo builds for these tests.
pub fn multicall() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_daemontools-rs"))
}

/// One of our programs: its name, a symbolic link to the one executable
/// beside it in the target directory, as `make install` makes them. The
/// links are made at the first call, in place of whatever an older build
/// left under those names.
pub fn bin(name: &str) -> PathBuf {
    static LINKS: std::sync::Once = std::sync::Once::new();
    let exe = multicall();
    let dir = exe.parent().unwrap();
    LINKS.call_once(|| PROGRAMS.iter().for_each(|p| link_program(dir, p)));
    assert!(PROGRAMS.contains(&name), "{name} is not one of PROGRAMS");
    dir.join(name)
}

/// Makes `dir/name` a symbolic link to `daemontools-rs`, unless it is one.
pub fn link_program(dir: &Path, name: &str) {
    let path = dir.join(name);
    if fs::read_link(&path).is_ok_and(|to| to == Path::new("daemontools-rs")) {
        return;
    }
    let new = dir.join(format!(".{name}.new.{}", std::process::id()));
    let _ = fs::remove_file(&new);
    std::os::unix::fs::symlink("daemontools-rs", &new).unwrap();
    fs::rename(&new, &path).unwrap();
}

/// A program of the real daemontools from Debian.
pub fn real(name: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(name);
    assert!(path.exists(), "{} is missing: install daemontools (`apt-get install -y daemontools`)", path.display());
    path
}

/// Polls `cond` every few milliseconds until it holds; panics after `ms`.
pub fn wait_for(ms: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_millis(ms);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {ms} ms waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` to exit; kills it and panics (naming `what`) after `ms`.
pub fn finish_within(child: &mut Child, ms: u64, what: &str) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish in {ms} ms");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The children of `pid` (none once it is gone).
pub fn children(pid: u32) -> Vec<u32> {
    let list = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    list.split_whitespace().map(|p| p.parse().unwrap()).collect()
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()), Some("Z") | Some("X")),
        Err(_) => false,
    }
}

/// The one-letter state of a process from /proc (`S`, `R`, `T`, ...).
pub fn proc_state(pid: u32) -> String {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()).unwrap_or("").to_string()
}

pub fn signal(pid: u32, sig: i32) {
    unsafe { libc::kill(pid as i32, sig) };
}

/// Waits until `pid` has trapped `sig`: caught or ignored (/proc's SigCgt
/// or SigIgn). supervise reports a service up once it has exec'd `run`; a
/// shell gets to its `trap` only after that, and a signal sent meanwhile
/// meets the default action.
pub fn wait_trapped(pid: u32, sig: i32) {
    let trapped = || in_signal_masks(pid, ["SigCgt:", "SigIgn:"], sig);
    wait_for(5000, &format!("pid {pid} to trap signal {sig}"), trapped);
}

/// Whether `sig` is in one of the masks `fields` of /proc/`pid`/status.
fn in_signal_masks(pid: u32, fields: [&str; 2], sig: i32) -> bool {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .filter_map(|l| fields.iter().find_map(|f| l.strip_prefix(f)))
        .any(|m| u64::from_str_radix(m.trim(), 16).is_ok_and(|m| m & (1 << (sig - 1)) != 0))
}

/// A temp dir plus every process started in it.
pub struct Sandbox {
    dir: tempfile::TempDir,
    children: Mutex<Vec<Child>>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::Builder::new().prefix("dtrs-").tempdir().unwrap(), children: Mutex::new(Vec::new()) }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(p)
    }

    /// A copy of one of our programs that another account can run: the
    /// checkout (and so target/) may live where other accounts cannot
    /// search, such as root's 0700 home. Makes the sandbox 0755.
    pub fn public_bin(&self, name: &str) -> PathBuf {
        fs::set_permissions(self.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let dir = self.join("public-bin");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join(name);
        if !path.exists() {
            fs::copy(bin(name), &path).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
            // Once it has run, no child of another thread holds it open for
            // writing any more: later execs cannot fail with ETXTBSY.
            spawn_retrying(Command::new(&path).arg("--version").stdout(Stdio::null())).wait().unwrap();
        }
        path
    }

    /// A service directory `name` whose `run` is `script` (a /bin/sh script body).
    pub fn service(&self, name: &str, script: &str) -> PathBuf {
        let dir = self.join(name);
        fs::create_dir_all(&dir).unwrap();
        write_script(&dir.join("run"), script);
        dir
    }

    /// A command with a cleared environment, run in the sandbox.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear().env("PATH", "/usr/bin:/bin").current_dir(self.path());
        c
    }

    /// Starts a long-running process in its own process group, stdout and
    /// stderr to `<log>.out` and `<log>.err` in the sandbox; the guard kills
    /// it and its group. Returns its pid.
    pub fn spawn(&self, mut cmd: Command, log: &str) -> u32 {
        let out = fs::File::create(self.join(format!("{log}.out"))).unwrap();
        let err = fs::File::create(self.join(format!("{log}.err"))).unwrap();
        cmd.stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
        let child = spawn_retrying(&mut cmd);
        let pid = child.id();
        self.children.lock().unwrap().push(child);
        pid
    }

    /// Hands a child started elsewhere (with its own stdin, say) to the
    /// guard, which kills it and its process group; returns its pid.
    pub fn adopt(&self, child: Child) -> u32 {
        let pid = child.id();
        self.children.lock().unwrap().push(child);
        pid
    }

    /// Starts `supervise DIR` (ours or the real one) on a service of the sandbox.
    pub fn supervise(&self, program: &Path, service: &str) -> u32 {
        let mut cmd = self.command(program);
        cmd.arg(service);
        let pid = self.spawn(cmd, &format!("supervise-{}", service.replace('/', "-")));
        let dir = self.join(service);
        wait_for(5000, "supervise to come up", || {
            Status::unpack(&fs::read(dir.join("supervise/status")).unwrap_or_default()).is_some()
                && self.is_supervised(service)
        });
        pid
    }

    /// Whether a supervise holds the service directory `dir` of the sandbox.
    pub fn is_supervised(&self, dir: impl AsRef<Path>) -> bool {
        is_supervised(&self.join(dir))
    }

    /// `svstat -j DIR`'s object (svstat exits 0 even for a bad directory).
    #[track_caller]
    pub fn svstat_json(&self, dir: &str) -> serde_json::Value {
        let out = self.run(bin("svstat"), &["-j", dir]).code(0).stdout();
        serde_json::from_str(out.trim_end()).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// What a spawned process wrote to stderr so far.
    pub fn stderr_of(&self, log: &str) -> String {
        fs::read_to_string(self.join(format!("{log}.err"))).unwrap_or_default()
    }

    /// Waits for a spawned process to exit; panics after `ms`.
    pub fn wait_exit(&self, pid: u32, ms: u64) -> ExitStatus {
        let mut result = None;
        wait_for(ms, &format!("pid {pid} to exit"), || {
            let mut children = self.children.lock().unwrap();
            let child = children.iter_mut().find(|c| c.id() == pid).expect("not spawned here");
            result = child.try_wait().unwrap();
            result.is_some()
        });
        result.unwrap()
    }

    /// Runs a short command to completion in the sandbox (killed after 10 s).
    pub fn run(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Run {
        let mut cmd = self.command(program);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        let mut child = spawn_retrying(&mut cmd);
        let what = format!("{cmd:?}");
        finish_within(&mut child, 10_000, &what);
        Run::new(what, child.wait_with_output().unwrap())
    }

    /// A service `name` running `script` under our supervise, up: the
    /// set-up most tests begin with. The sandbox's guard kills it all.
    pub fn supervised(&self, name: &str, script: &str) -> Service {
        let dir = self.service(name, script);
        let supervise = self.supervise(&bin("supervise"), name);
        let pid = self.wait_up(name, 0);
        Service { dir, supervise, pid }
    }

    /// The decoded `supervise/status` of a service.
    pub fn status(&self, service: &str) -> Status {
        self.try_status(service).expect("an 18-byte supervise/status")
    }

    /// The status, or `None` while supervise has not written one yet.
    pub fn try_status(&self, service: &str) -> Option<Status> {
        Status::unpack(&fs::read(self.join(service).join("supervise/status")).ok()?)
    }

    /// Waits until the service runs a pid other than `not` and returns it.
    pub fn wait_up(&self, service: &str, not: u32) -> u32 {
        self.wait_up_within(service, not, 5000)
    }

    /// `wait_up`, panicking after `ms`.
    pub fn wait_up_within(&self, service: &str, not: u32, ms: u64) -> u32 {
        let mut pid = 0;
        wait_for(ms, &format!("{service} to be up with a new pid"), || {
            pid = self.try_status(service).map_or(0, |s| s.pid);
            pid != 0 && pid != not && alive(pid)
        });
        pid
    }

    /// Waits until the service is down.
    pub fn wait_down(&self, service: &str) {
        wait_for(5000, &format!("{service} to be down"), || self.try_status(service).is_some_and(|s| s.pid == 0));
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let mut children = self.children.lock().unwrap();
        for child in children.iter_mut() {
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.kill();
            let _ = child.wait();
        }
        // Whatever left its process group but still runs inside the sandbox.
        let root = self.dir.path().to_path_buf();
        for _ in 0..3 {
            let mut found = false;
            for entry in fs::read_dir("/proc").unwrap().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
                let cwd = fs::read_link(entry.path().join("cwd")).unwrap_or_default();
                if cwd.starts_with(&root) && pid != std::process::id() as i32 {
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    found = true;
                }
            }
            if !found {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What [`Sandbox::supervised`] started: the service directory, the pid of
/// its supervise and the pid of the service it runs.
pub struct Service {
    pub dir: PathBuf,
    pub supervise: u32,
    pub pid: u32,
}

/// A sandbox with one service, `s`, running a script under our supervise
/// and up (uutils' TestScenario, ripgrep's Dir); derefs to the sandbox, and
/// kills everything when it drops.
pub struct Supervised {
    pub sb: Sandbox,
    pub dir: PathBuf,
    pub supervise: u32,
    pub pid: u32,
}

impl Supervised {
    pub fn new(script: &str) -> Supervised {
        Supervised::named("s", script)
    }

    pub fn named(name: &str, script: &str) -> Supervised {
        let sb = Sandbox::new();
        let Service { dir, supervise, pid } = sb.supervised(name, script);
        Supervised { sb, dir, supervise, pid }
    }
}

impl Deref for Supervised {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sb
    }
}

/// A finished command: its output, and assertions on its exit code and
/// output that name the command when they fail and chain (uutils'
/// CmdResult): `sb.run(bin("svc"), &["-x"]).code(100).stderr_is("...")`.
pub struct Run {
    pub output: Output,
    what: String,
}

impl Run {
    /// The `output` of the command `what`, to assert on.
    pub fn new(what: impl Into<String>, output: Output) -> Run {
        Run { output, what: what.into() }
    }

    pub fn stdout(&self) -> String {
        stdout(&self.output)
    }

    pub fn stderr(&self) -> String {
        stderr(&self.output)
    }

    /// Exits with `code` (and was not killed by a signal).
    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(self.status.code(), Some(code), "exit of {}; stderr: {}", self.what, self.stderr());
        self
    }

    /// Exits with one of `codes`.
    #[track_caller]
    pub fn code_in(&self, codes: &[i32]) -> &Run {
        let code = self.status.code();
        assert!(codes.iter().any(|&c| code == Some(c)), "exit {code:?} of {}; stderr: {}", self.what, self.stderr());
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, expected: impl AsRef<str>) -> &Run {
        assert_eq!(self.stdout(), expected.as_ref(), "stdout of {}", self.what);
        self
    }

    #[track_caller]
    pub fn stderr_is(&self, expected: impl AsRef<str>) -> &Run {
        assert_eq!(self.stderr(), expected.as_ref(), "stderr of {}", self.what);
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, part: &str) -> &Run {
        assert!(self.stdout().contains(part), "stdout of {} lacks {part:?}: {}", self.what, self.stdout());
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, part: &str) -> &Run {
        assert!(self.stderr().contains(part), "stderr of {} lacks {part:?}: {}", self.what, self.stderr());
        self
    }
}

impl Deref for Run {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.output
    }
}

/// One `cargo deb` at a time in a test binary.
static CARGO_DEB: Mutex<()> = Mutex::new(());

/// The Debian package, built with `cargo deb --no-build` into the sandbox
/// from the programs this test run uses (a test builds no release).
pub fn build_deb(sb: &Sandbox) -> PathBuf {
    let deb = sb.join("daemontools-rs.deb");
    let profile = if bin("svok").parent().unwrap().ends_with("release") { "release" } else { "dev" };
    let _one = CARGO_DEB.lock().unwrap_or_else(|e| e.into_inner());
    let o = Command::new("cargo")
        .args(["deb", "-p", "daemontools-rs", "--no-build", "--profile", profile, "-o"])
        .arg(&deb)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo");
    assert!(o.status.success(), "cargo deb (.ci/deps installs cargo-deb): {}", stderr(&o));
    deb
}

/// Sends `sig` to svscan `pid` (once it is in its loop) and waits until it has acted on it: the
/// signal delivered (no longer pending), then svscan asleep in poll again,
/// which it is only once the loop that saw the signal is done (the scan
/// ALRM asks for, or HUP's scan and stop letters).
pub fn signal_handled(pid: u32, sig: i32) {
    let pending = || in_signal_masks(pid, ["ShdPnd:", "SigPnd:"], sig);
    let asleep = || fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("poll"));
    // A svscan just started catches signals only once it is in its loop.
    wait_for(5000, "svscan in its loop", asleep);
    signal(pid, sig);
    // In this order: asleep in poll after the signal was delivered is asleep after its loop.
    wait_for(5000, "svscan to act on the signal", || !pending() && asleep());
}

/// Starts `cmd`, trying again for a while on ETXTBSY: a program a test has
/// just copied may still be open for writing in a child that another test
/// thread forked meanwhile, until that child execs.
pub fn spawn_retrying(cmd: &mut Command) -> Child {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            r => return r.unwrap(),
        }
    }
}

/// Whether a supervise holds the service directory `dir`.
pub fn is_supervised(dir: &Path) -> bool {
    daemontools::svdir::supervised(dir.as_os_str().as_encoded_bytes())
}

/// Makes a FIFO (mode 0600) at `path`, which must not exist.
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let made = unsafe { libc::mkfifo(c.as_ptr(), 0o600) } == 0;
    assert!(made, "mkfifo {}: {}", path.display(), std::io::Error::last_os_error());
}

/// Writes an executable /bin/sh script.
pub fn write_script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A real unprivileged account for the test's lifetime.
pub struct Account(pub String);

impl Account {
    /// For a test that needs root: None (the test says SKIPPED) unless we
    /// are root; then the account, or a failed test if useradd fails.
    pub fn if_root(tag: &str, test: &str) -> Option<Account> {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED {test}: needs root to make an account");
            return None;
        }
        Some(Account::make(tag).expect("useradd, as root, makes a test account"))
    }

    /// `tag` tells apart the accounts of tests running at once.
    fn make(tag: &str) -> Option<Account> {
        let name = format!("dtrs{}{tag}", std::process::id() % 100_000);
        let ok = Command::new("/usr/sbin/useradd")
            .args(["-M", "-N", "-s", "/bin/sh", &name])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Account(name))
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/userdel").arg(&self.0).status();
    }
}

/// `unshare --pid --fork --mount-proc` (a PID namespace of its own, the
/// program after it its PID 1), or None, said as SKIPPED, where the
/// machine gives none.
pub fn in_pid_namespace(sb: &Sandbox) -> Option<Command> {
    let probe = sb.run("unshare", &["--pid", "--fork", "--mount-proc", "true"]);
    if !probe.status.success() {
        eprintln!("SKIPPED: no PID namespace here (unshare: {})", stderr(&probe).trim());
        return None;
    }
    let mut cmd = sb.command("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc"]);
    Some(cmd)
}
