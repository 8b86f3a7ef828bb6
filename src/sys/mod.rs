//! Thin, allocation-free wrappers over the system calls the suite shares,
//! by concern: [`fd`] (descriptors), [`fs`] (files, `*at` calls, locks,
//! FIFOs, atomic writes), [`signals`] (the self-pipe), [`process`] (spawn
//! with file actions, exec, PATH search, reaping, kill), [`poll`] and
//! [`limits`]. Every descriptor made here is close-on-exec unless its name
//! says otherwise. Everything is re-exported here: callers write `sys::NAME`.

pub mod fd;
pub mod fs;
pub mod limits;
pub mod poll;
pub mod process;
pub mod signals;

pub use fd::*;
pub use fs::*;
pub use limits::*;
pub use poll::*;
pub use process::*;
pub use signals::*;
