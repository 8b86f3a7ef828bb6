//! daemontools-rs: the shared library behind every program of the suite.
//!
//! It never prints and never exits: functions return results, [`msg`]
//! formats daemontools' messages and carries their exit codes, and [`cli`],
//! the programs' edge that only mains call, prints them and exits.

pub mod cli;
pub mod container;
pub mod control;
pub mod follow;
pub mod getopt;
pub mod info;
pub mod input;
pub mod logdir;
pub mod logread;
pub mod mksv;
pub mod msg;
pub mod multilog;
pub mod needs;
pub mod pathexec;
pub mod scandir;
pub mod scanner;
pub mod script;
pub mod status;
pub mod supervise;
pub mod svdir;
pub mod sys;
pub mod syslog;
pub mod tai64;
pub mod tree;
pub mod view;
pub mod waiting;
pub mod when;

pub use nix::errno::Errno;
