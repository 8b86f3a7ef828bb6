//! Whether a run said it is ready (`notification-fd`), and since when.

use crate::tai64::Tai64N;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The run was given no notification descriptor.
    Unwatched,
    /// Given one; no newline yet.
    Waiting,
    /// A newline came at this moment.
    Ready(Tai64N),
}

impl Readiness {
    /// For a run started with a notification descriptor or without.
    pub fn new(watched: bool) -> Readiness {
        if watched {
            Readiness::Waiting
        } else {
            Readiness::Unwatched
        }
    }

    /// The service said it is ready at `now`: true when that is news.
    pub fn notified(&mut self, now: Tai64N) -> bool {
        match self {
            Readiness::Waiting => {
                *self = Readiness::Ready(now);
                true
            }
            Readiness::Unwatched | Readiness::Ready(_) => false,
        }
    }

    /// As `supervise/info` tells it: None unwatched, `Some(None)` not yet ready.
    pub fn info(self) -> Option<Option<Tai64N>> {
        match self {
            Readiness::Unwatched => None,
            Readiness::Waiting => Some(None),
            Readiness::Ready(t) => Some(Some(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;

    #[test]
    fn ready_once_and_only_when_watched() {
        let (t1, t2) = (Tai64N(Tai64(1 << 62), 0), Tai64N(Tai64((1 << 62) + 5), 0));
        let mut r = Readiness::new(true);
        assert_eq!(r.info(), Some(None));
        assert!(r.notified(t1));
        assert!(!r.notified(t2), "the first newline counts");
        assert_eq!(r.info(), Some(Some(t1)));
        let mut r = Readiness::new(false);
        assert!(!r.notified(t1));
        assert_eq!(r.info(), None);
    }
}
