//! `svlogfwd`'s formats and decisions: RFC 5424 messages for a log line
//! (a line too long for one message is split, every piece with the line's
//! header), their framing on each transport (a datagram each over UDP and a
//! unix socket; RFC 6587 octet counting, `LEN SP MSG`, over TCP), the
//! destination's syntax, the cursor file, and where a restart resumes.
//! [`Sender`] does the sending.

use crate::logread::{Place, Pos, Source};
use crate::tai64::{self, Tai64N};
use nix::errno::Errno;
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Duration;

/// Where messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    /// `udp:HOST:PORT`
    Udp(String),
    /// `tcp:HOST:PORT`
    Tcp(String),
    /// `unix:PATH`, a datagram socket (as `/dev/log`).
    Unix(PathBuf),
}

impl Dest {
    /// Reads `udp:HOST:PORT`, `tcp:HOST:PORT` (HOST a name, an IPv4
    /// address or an IPv6 one in brackets) or `unix:PATH`.
    pub fn parse(text: &str) -> Option<Dest> {
        let (kind, rest) = text.split_once(':')?;
        let host_port = |r: &str| {
            let (host, port) = r.rsplit_once(':')?;
            (!host.is_empty() && port.parse::<u16>().is_ok()).then(|| r.to_string())
        };
        match kind {
            "udp" => host_port(rest).map(Dest::Udp),
            "tcp" => host_port(rest).map(Dest::Tcp),
            "unix" if !rest.is_empty() => Some(Dest::Unix(PathBuf::from(rest))),
            _ => None,
        }
    }
}

/// A facility and a severity, `daemon.info`, as a PRI value.
pub fn priority(text: &str) -> Option<u8> {
    const FACILITIES: [&str; 24] = [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "ntp",
        "security",
        "console",
        "solaris-cron",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
    ];
    const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
    let (f, s) = text.split_once('.')?;
    let f = FACILITIES.iter().position(|&n| n == f)?;
    let s = SEVERITIES.iter().position(|&n| n == s)?;
    Some((f * 8 + s) as u8)
}

/// An APP-NAME or HOSTNAME as RFC 5424 allows: printable US-ASCII, no
/// space, at most `max` bytes (others become `_`); `-` if empty.
pub fn header_field(name: &[u8], max: usize) -> String {
    let s: String = name.iter().take(max).map(|&b| if (33..=126).contains(&b) { b as char } else { '_' }).collect();
    if s.is_empty() {
        "-".to_string()
    } else {
        s
    }
}

/// The service a log directory belongs to: NAME in `.../NAME/log/main`
/// (or `.../NAME/log`), else the directory's own name.
pub fn service_name(logdir: &[u8]) -> Vec<u8> {
    let parts: Vec<&[u8]> = logdir.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".").collect();
    match parts[..] {
        [.., name, b"log", b"main"] | [.., name, b"log"] => name.to_vec(),
        [.., name] => name.to_vec(),
        [] => b"-".to_vec(),
    }
}

/// The RFC 5424 messages for one log line (newline excluded): its stamp
/// (`t` or `T`) is the TIMESTAMP, to the microsecond (`-` without one), the
/// rest after one space the MSG. `head` is `<PRI>1 `, and after the
/// timestamp come ` HOSTNAME APP-NAME - - - `. A message longer than `max`
/// bytes is split into several, each with the same header, cut where a
/// UTF-8 character begins; `each` gets them in order. Returns the stamp.
pub fn messages(
    line: &[u8],
    pri: u8,
    host: &str,
    app: &str,
    max: usize,
    each: &mut dyn FnMut(&[u8]),
) -> Option<Tai64N> {
    let (time, text) = match tai64::line_stamp(line) {
        Some((t, len)) => (Some(t), line[len..].strip_prefix(b" ").unwrap_or(&line[len..])),
        None => (None, line),
    };
    let mut msg = Vec::with_capacity(max.min(line.len() + 128));
    write!(msg, "<{pri}>1 ").unwrap();
    match time {
        Some(t) => msg.extend_from_slice(&tai64::fmt_rfc3339(tai64::to_system_time(t))),
        None => msg.push(b'-'),
    }
    write!(msg, " {host} {app} - - - ").unwrap();
    let head = msg.len();
    let room = max.saturating_sub(head).max(16);
    let mut rest = text;
    loop {
        let mut cut = rest.len().min(room);
        if cut < rest.len() {
            // Back to the start of a UTF-8 character (at most 3 bytes back).
            let start = cut;
            while cut > start.saturating_sub(3) && cut > 1 && rest[cut] & 0xc0 == 0x80 {
                cut -= 1;
            }
            if rest[cut] & 0xc0 == 0x80 {
                cut = start;
            }
        }
        msg.truncate(head);
        msg.extend_from_slice(&rest[..cut]);
        each(&msg);
        rest = &rest[cut..];
        if rest.is_empty() {
            return time;
        }
    }
}

/// How a message goes over TCP: its length in decimal, a space, the message (RFC 6587).
pub fn octet_counted(msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    write!(out, "{} ", msg.len()).unwrap();
    out.extend_from_slice(msg);
}

/// Where forwarding got to: after the line ending at `place`, whose stamp
/// was `label`, the `same`-th in a row with that stamp (lines read together
/// share a stamp: resuming by stamp alone would not tell them apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub place: Place,
    pub label: Option<Tai64N>,
    pub same: u64,
}

/// The cursor file's size: one line padded with spaces, rewritten in place
/// with one `pwrite` after every line sent.
pub const CURSOR_LEN: usize = 128;

impl Cursor {
    /// `svlogfwd1 DEV INO OFFSET LABEL SAME`, padded to [`CURSOR_LEN`], a newline last.
    pub fn pack(&self) -> [u8; CURSOR_LEN] {
        let mut out = [b' '; CURSOR_LEN];
        let label = self.label.map_or(*b"-------------------------", tai64::fmt_label);
        let (dev, ino) = self.place.ino;
        let text =
            format!("svlogfwd1 {dev} {ino} {} {} {}", self.place.off, String::from_utf8_lossy(&label), self.same);
        out[..text.len()].copy_from_slice(text.as_bytes());
        out[CURSOR_LEN - 1] = b'\n';
        out
    }

    /// Reads a cursor file's contents; None if it is not one.
    pub fn unpack(text: &[u8]) -> Option<Cursor> {
        let text = std::str::from_utf8(text).ok()?;
        let mut w = text.split_ascii_whitespace();
        if w.next()? != "svlogfwd1" {
            return None;
        }
        let mut num = || w.next()?.parse::<u64>().ok();
        let (dev, ino, off) = (num()?, num()?, num()?);
        let label = w.next()?;
        let label = match label.bytes().all(|b| b == b'-') {
            true => None,
            false => Some(tai64::label_at(label.as_bytes())?),
        };
        let same = w.next()?.parse().ok()?;
        Some(Cursor { place: Place { ino: (dev, ino), off }, label, same })
    }

    /// The cursor after a line ending at `place`, stamped `label`.
    pub fn after(prev: Option<Cursor>, place: Place, label: Option<Tai64N>) -> Cursor {
        let same = match prev {
            Some(c) if label.is_some() && c.label == label => c.same + 1,
            _ => 1,
        };
        Cursor { place, label, same }
    }
}

/// Where forwarding resumes in `src` after `cursor`: just after the line it
/// names in the file it names; if that file is gone (pruned, or replaced by
/// a processor's output), after the `same` lines stamped as its line was;
/// else (no stamp to go by) from the start, which says so (`false`).
pub fn resume(src: &Source, cursor: &Cursor) -> (Pos, bool) {
    if let Some(at) = src.pos_of(cursor.place) {
        return (at, true);
    }
    let Some(label) = cursor.label else { return (Pos { file: 0, off: 0 }, false) };
    let mut at = src.since(label);
    let mut lines = crate::logread::Lines::new(src, at, src.end());
    for _ in 0..cursor.same {
        let Some(line) = lines.next_line() else { break };
        if tai64::line_stamp(line).map(|(t, _)| t) != Some(label) {
            break;
        }
        match lines.place.and_then(|p| src.pos_of(p)) {
            Some(p) => at = p,
            None => break,
        }
    }
    (at, true)
}

/// A connection to the destination, made when needed and dropped on an
/// error, so that the next send makes it again.
pub struct Sender {
    pub dest: Dest,
    conn: Option<Conn>,
    frame: Vec<u8>,
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Unix(UnixDatagram),
}

fn errno(e: std::io::Error) -> Errno {
    crate::msg::errno_of(&e)
}

/// The address of `HOST:PORT`: HOST an IPv4 address, an IPv6 address in
/// brackets, or a name, whose first address `getent ahosts` gives (the one
/// getaddrinfo would: see `pathexec::getent` for why not getaddrinfo).
fn resolve(hostport: &str) -> Result<SocketAddr, Errno> {
    if let Ok(addr) = hostport.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (host, port) = hostport.rsplit_once(':').ok_or(Errno::EINVAL)?;
    let port: u16 = port.parse().map_err(|_| Errno::EINVAL)?;
    let found = crate::pathexec::getent("ahosts", host.as_bytes()).ok_or(Errno::EADDRNOTAVAIL)?;
    let first = found.split(|b| b.is_ascii_whitespace()).next().unwrap_or_default();
    let ip = std::str::from_utf8(first).ok().and_then(|a| a.parse::<IpAddr>().ok()).ok_or(Errno::EADDRNOTAVAIL)?;
    Ok(SocketAddr::new(ip, port))
}

impl Sender {
    pub fn new(dest: Dest) -> Sender {
        Sender { dest, conn: None, frame: Vec::new() }
    }

    fn connect(&self) -> Result<Conn, Errno> {
        Ok(match &self.dest {
            Dest::Udp(hp) => {
                let addr = resolve(hp)?;
                let local: SocketAddr = if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().unwrap();
                let s = UdpSocket::bind(local).map_err(errno)?;
                s.connect(addr).map_err(errno)?;
                Conn::Udp(s)
            }
            Dest::Tcp(hp) => {
                let s = TcpStream::connect_timeout(&resolve(hp)?, Duration::from_secs(5)).map_err(errno)?;
                s.set_write_timeout(Some(Duration::from_secs(30))).map_err(errno)?;
                Conn::Tcp(s)
            }
            Dest::Unix(_) => Conn::Unix(UnixDatagram::unbound().map_err(errno)?),
        })
    }

    /// Sends one message; an error drops the connection (the message is
    /// to be sent again). Over UDP an error the peer's host reported for
    /// this message (nobody listening, on this machine) counts.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), Errno> {
        if self.conn.is_none() {
            self.conn = Some(self.connect()?);
        }
        let r = match self.conn.as_mut().unwrap() {
            Conn::Udp(s) => s.send(msg).map_err(errno).and_then(|_| match s.take_error() {
                Ok(None) => Ok(()),
                Ok(Some(e)) | Err(e) => Err(errno(e)),
            }),
            Conn::Tcp(s) => {
                if peer_closed(s) {
                    Err(Errno::ECONNRESET)
                } else {
                    octet_counted(msg, &mut self.frame);
                    s.write_all(&self.frame).map_err(errno)
                }
            }
            Conn::Unix(s) => {
                let Dest::Unix(path) = &self.dest else { unreachable!() };
                s.send_to(msg, path).map(drop).map_err(errno)
            }
        };
        if r.is_err() {
            self.conn = None;
        }
        r
    }
}

/// Whether a syslog server closed its end (it sends nothing otherwise).
fn peer_closed(s: &TcpStream) -> bool {
    let mut p = [libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
    if crate::sys::poll_fds(&mut p, Some(Duration::ZERO)) != Ok(1) {
        return false;
    }
    let mut b = [0u8; 512];
    // SAFETY: recv into a buffer we own, without waiting.
    let n = unsafe { libc::recv(s.as_raw_fd(), b.as_mut_ptr().cast(), b.len(), libc::MSG_DONTWAIT) };
    n == 0 || (n < 0 && Errno::last() != Errno::EAGAIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn a_destination_host_is_an_address_or_a_name_getent_knows() {
        assert_eq!(resolve("127.0.0.1:514"), Ok("127.0.0.1:514".parse().unwrap()));
        assert_eq!(resolve("[::1]:6514"), Ok("[::1]:6514".parse().unwrap()));
        assert_eq!(resolve("127.0.0.1"), Err(Errno::EINVAL));
        assert_eq!(resolve("127.0.0.1:x"), Err(Errno::EINVAL));
        assert_eq!(resolve("no-such-host.invalid:514"), Err(Errno::EADDRNOTAVAIL));
        match resolve("localhost:514") {
            Ok(addr) => assert!(addr.ip().is_loopback() && addr.port() == 514, "{addr}"),
            Err(e) if crate::pathexec::getent("ahosts", b"localhost").is_none() => {
                eprintln!("SKIPPED localhost: no getent here ({e})")
            }
            Err(e) => panic!("localhost: {e}"),
        }
    }

    fn all(line: &[u8], max: usize) -> Vec<String> {
        let mut v = Vec::new();
        messages(line, 30, "box", "web", max, &mut |m| v.push(String::from_utf8_lossy(m).into_owned()));
        v
    }

    #[test]
    fn rfc5424_with_the_line_s_own_time() {
        let t = tai64::from_system_time(UNIX_EPOCH + Duration::new(1_795_288_126, 766_450_123));
        let mut line = tai64::fmt_label(t).to_vec();
        line.extend_from_slice(b" hello world");
        assert_eq!(all(&line, 2048), ["<30>1 2026-11-21T19:08:46.766450Z box web - - - hello world"]);
        assert_eq!(all(b"no stamp", 2048), ["<30>1 - box web - - - no stamp"]);
        assert_eq!(
            all(b"2026-11-21T19:08:46.766450Z T stamped", 2048),
            ["<30>1 2026-11-21T19:08:46.766450Z box web - - - T stamped"]
        );
        assert_eq!(all(b"", 2048), ["<30>1 - box web - - - "]);
    }

    #[test]
    fn long_lines_are_split_at_characters() {
        let head = "<30>1 - box web - - - ".len();
        let text = "é".repeat(30);
        let got = all(text.as_bytes(), head + 21);
        assert!(got.iter().all(|m| m.len() <= head + 21 && m.starts_with("<30>1 - box web - - - ")), "{got:?}");
        let joined: String = got.iter().map(|m| &m[head..]).collect();
        assert_eq!(joined, text, "every byte, cut between characters");
        assert_eq!(got.len(), 3);
        let got = all(&[b'x'; 100], head + 40);
        assert_eq!(got.iter().map(|m| m.len() - head).collect::<Vec<_>>(), [40, 40, 20]);
        let mut frame = Vec::new();
        octet_counted(b"<30>1 - h a - - - x", &mut frame);
        assert_eq!(frame, b"19 <30>1 - h a - - - x");
    }

    #[test]
    fn destinations_priorities_and_names() {
        assert_eq!(Dest::parse("udp:127.0.0.1:514"), Some(Dest::Udp("127.0.0.1:514".into())));
        assert_eq!(Dest::parse("tcp:[::1]:6514"), Some(Dest::Tcp("[::1]:6514".into())));
        assert_eq!(Dest::parse("unix:/dev/log"), Some(Dest::Unix("/dev/log".into())));
        for bad in ["udp:host", "tcp::514", "udp:h:99999", "file:/x", "unix:", "nothing"] {
            assert_eq!(Dest::parse(bad), None, "{bad}");
        }
        assert_eq!(priority("daemon.info"), Some(30));
        assert_eq!(priority("local7.debug"), Some(191));
        assert_eq!(priority("kern.emerg"), Some(0));
        assert_eq!(priority("daemon"), None);
        assert_eq!(priority("daemon.loud"), None);
        assert_eq!(service_name(b"/etc/service/web/log/main"), b"web");
        assert_eq!(service_name(b"web/log/"), b"web");
        assert_eq!(service_name(b"/var/log/api"), b"api");
        assert_eq!(service_name(b"./main"), b"main");
        assert_eq!(header_field(b"a b\xffc", 48), "a_b_c");
        assert_eq!(header_field(b"", 48), "-");
        assert_eq!(header_field(&[b'x'; 60], 48).len(), 48);
    }

    #[test]
    fn the_cursor_round_trips_and_counts_lines_of_one_stamp() {
        let place = Place { ino: (2049, 1234567), off: 99_999 };
        let t = tai64::from_system_time(UNIX_EPOCH + Duration::new(1_795_288_126, 5));
        let c = Cursor::after(None, place, Some(t));
        assert_eq!(c.same, 1);
        let c = Cursor::after(Some(c), place, Some(t));
        assert_eq!(c.same, 2);
        let packed = c.pack();
        assert_eq!(packed.len(), CURSOR_LEN);
        assert!(packed.starts_with(b"svlogfwd1 2049 1234567 99999 @4000000"));
        assert_eq!(Cursor::unpack(&packed), Some(c));
        let plain = Cursor::after(Some(c), place, None);
        assert_eq!((plain.same, Cursor::unpack(&plain.pack())), (1, Some(plain)));
        assert_eq!(Cursor::unpack(b"garbage"), None);
        assert_eq!(Cursor::unpack(b""), None);
        assert_eq!(Cursor::unpack(b"svlogfwd1 1 2 x - 1"), None);
    }
}
