//! The 18-byte `supervise/status` file: the one codec for it.
//!
//! | bytes | content |
//! |---|---|
//! | 0-11 | TAI64N of the last pid change (start or death), big-endian |
//! | 12-15 | pid, little-endian, 0 when down |
//! | 16 | paused flag |
//! | 17 | want: `u`, `d`, or 0 after `svc -o` |
//!
//! Readers accept longer files, as daemontools' svstat does.

use crate::tai64::{self, Tai64N};

/// The size of the file.
pub const LEN: usize = 18;

/// What supervise wants of the service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Want {
    /// `u`: keep it running.
    #[default]
    Up,
    /// `d`: keep it down.
    Down,
    /// 0: after `svc -o`, run it once and do not restart it.
    Nothing,
}

impl Want {
    pub fn byte(self) -> u8 {
        match self {
            Want::Up => b'u',
            Want::Down => b'd',
            Want::Nothing => 0,
        }
    }

    /// As `svstat -j` and `supervise/info` name it.
    pub fn name(self) -> &'static str {
        match self {
            Want::Up => "up",
            Want::Down => "down",
            Want::Nothing => "once",
        }
    }

    pub fn from_name(name: &str) -> Option<Want> {
        [Want::Up, Want::Down, Want::Nothing].into_iter().find(|w| w.name() == name)
    }

    /// Any byte but `u` and `d` means nothing, as it does to svstat.
    pub fn from_byte(b: u8) -> Want {
        match b {
            b'u' => Want::Up,
            b'd' => Want::Down,
            _ => Want::Nothing,
        }
    }
}

/// One decoded status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// When the pid last changed.
    pub stamp: Tai64N,
    /// The service's pid, 0 when it is down.
    pub pid: u32,
    /// Whether it was paused with `svc -p`.
    pub paused: bool,
    pub want: Want,
}

impl Status {
    pub fn pack(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..12].copy_from_slice(&tai64::pack(self.stamp));
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16] = self.paused as u8;
        b[17] = self.want.byte();
        b
    }

    /// `None` when fewer than 18 bytes were read: daemontools' "bad format".
    pub fn unpack(b: &[u8]) -> Option<Status> {
        let b: &[u8; LEN] = b.get(..LEN)?.try_into().ok()?;
        Some(Status {
            stamp: tai64::unpack(b[..12].try_into().unwrap()),
            pid: u32::from_le_bytes(b[12..16].try_into().unwrap()),
            paused: b[16] != 0,
            want: Want::from_byte(b[17]),
        })
    }

    /// Whole seconds from the stamp to `now`, 0 when the stamp is in the future.
    pub fn seconds_since(&self, now: Tai64N) -> u64 {
        // Through a double, as daemontools' tai_approx: a stamp absurdly far
        // in the past (a corrupt file) prints the same digits as its svstat.
        now.0 .0.saturating_sub(self.stamp.0 .0) as f64 as u64
    }

    /// svstat's text after `DIR: `, byte for byte as daemontools prints it:
    /// `up (pid N) S seconds` or `down S seconds`, then `, normally down`,
    /// `, normally up`, `, paused`, `, want up`, `, want down` as they apply.
    pub fn describe(&self, normally_up: bool, now: Tai64N) -> String {
        let up = self.pid != 0;
        let mut s = if up { format!("up (pid {}) ", self.pid) } else { String::from("down ") };
        s += &self.seconds_since(now).to_string();
        s += " seconds";
        if up && !normally_up {
            s += ", normally down";
        }
        if !up && normally_up {
            s += ", normally up";
        }
        if up && self.paused {
            s += ", paused";
        }
        if !up && self.want == Want::Up {
            s += ", want up";
        }
        if up && self.want == Want::Down {
            s += ", want down";
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;

    // Captured from daemontools 0.76's supervise (Debian 1:0.76-8.1) on
    // 2026-11-21, with `xxd supervise/status`, alongside `/usr/bin/svstat`.
    const GOLDEN: &[(&[u8; LEN], Status)] = &[
        // `up (pid 2020)`, want up, just started.
        (
            b"\x40\x00\x00\x00\x6b\x01\xf8\x39\x27\x28\xf8\x94\xe4\x07\x00\x00\x00u",
            Status {
                stamp: Tai64N(Tai64(0x4000_0000_6b01_f839), 0x2728_f894),
                pid: 2020,
                paused: false,
                want: Want::Up,
            },
        ),
        // After `svc -d`: down, want down.
        (
            b"\x40\x00\x00\x00\x6b\x01\xf8\x3a\x28\x81\x29\xdc\x00\x00\x00\x00\x00d",
            Status {
                stamp: Tai64N(Tai64(0x4000_0000_6b01_f83a), 0x2881_29dc),
                pid: 0,
                paused: false,
                want: Want::Down,
            },
        ),
        // After `svc -o`: up (pid 2039), want nothing.
        (
            b"\x40\x00\x00\x00\x6b\x01\xf8\x3a\x2e\x71\xf2\x2c\xf7\x07\x00\x00\x00\x00",
            Status {
                stamp: Tai64N(Tai64(0x4000_0000_6b01_f83a), 0x2e71_f22c),
                pid: 2039,
                paused: false,
                want: Want::Nothing,
            },
        ),
        // After `svc -u`: up (pid 2057), want up.
        (
            b"\x40\x00\x00\x00\x6b\x01\xf8\x3c\x11\xea\xb1\x5c\x09\x08\x00\x00\x00u",
            Status {
                stamp: Tai64N(Tai64(0x4000_0000_6b01_f83c), 0x11ea_b15c),
                pid: 2057,
                paused: false,
                want: Want::Up,
            },
        ),
    ];

    #[test]
    fn golden_bytes_from_daemontools() {
        for (bytes, status) in GOLDEN {
            assert_eq!(Status::unpack(&bytes[..]), Some(*status));
            assert_eq!(&status.pack(), *bytes);
        }
    }

    #[test]
    fn paused_and_large_pid() {
        let s = Status { stamp: Tai64N(Tai64(1 << 62), 500), pid: 0x0403_0201, paused: true, want: Want::Up };
        let b = s.pack();
        assert_eq!(&b[12..], &[1, 2, 3, 4, 1, b'u']);
        assert_eq!(Status::unpack(&b), Some(s));
    }

    #[test]
    fn short_is_bad_format_long_is_fine() {
        let b = GOLDEN[0].0;
        for n in 0..LEN {
            assert_eq!(Status::unpack(&b[..n]), None);
        }
        let mut long = b.to_vec();
        long.extend_from_slice(b"trailing junk");
        assert_eq!(Status::unpack(&long), Some(GOLDEN[0].1));
    }

    #[test]
    fn any_18_bytes_decode() {
        let mut b = [0xffu8; LEN];
        b[17] = b'x';
        let s = Status::unpack(&b).unwrap();
        assert!(s.paused);
        assert_eq!(s.want, Want::Nothing);
        assert_eq!(s.pid, u32::MAX);
    }

    #[test]
    fn describe_matches_svstat() {
        let up = GOLDEN[0].1;
        let now = Tai64N(Tai64(up.stamp.0 .0 + 12), 0);
        assert_eq!(up.describe(true, now), "up (pid 2020) 12 seconds");
        assert_eq!(up.describe(false, now), "up (pid 2020) 12 seconds, normally down");
        let odd = Status { paused: true, want: Want::Down, ..up };
        assert_eq!(odd.describe(false, now), "up (pid 2020) 12 seconds, normally down, paused, want down");
        let down = GOLDEN[1].1;
        assert_eq!(down.describe(true, down.stamp), "down 0 seconds, normally up");
        assert_eq!(down.describe(false, down.stamp), "down 0 seconds");
        let waiting = Status { want: Want::Up, paused: true, ..down };
        assert_eq!(waiting.describe(true, down.stamp), "down 0 seconds, normally up, want up");
        let once = GOLDEN[2].1;
        assert_eq!(once.describe(true, once.stamp), "up (pid 2039) 0 seconds");
    }

    #[test]
    fn seconds_never_negative() {
        let s = GOLDEN[0].1;
        let later = Tai64N(Tai64(s.stamp.0 .0 + 7), 0);
        assert_eq!(s.seconds_since(later), 7);
        let earlier = Tai64N(Tai64(s.stamp.0 .0 - 7), 0);
        assert_eq!(s.seconds_since(earlier), 0);
    }

    #[test]
    fn absurd_ages_round_as_daemontools_double_does() {
        // From a random status file, against daemontools' svstat (tests/badinput.rs).
        let s = Status { stamp: Tai64N(Tai64(0), 0), pid: 1, paused: false, want: Want::Up };
        assert_eq!(s.seconds_since(Tai64N(Tai64(1761181986168846998), 0)), 1761181986168847104);
        assert_eq!(s.seconds_since(Tai64N(Tai64((1 << 53) + 1), 0)), 1 << 53);
    }
}
