//! The integration tests: one crate (one build, one binary, one parallel
//! run) driving the built programs in temp dirs, as ripgrep's tests/tests.rs
//! does. Each area is a module of its own file beside this one; Cargo.toml
//! sets `autotests = false` so none of them is a test crate by itself.
//! `common` is the harness they share.

mod common;

mod badinput;
mod boot;
mod chainload;
mod clients;
mod container;
mod debian;
mod docs;
mod examples;
mod extras;
mod faults;
mod fuzz;
mod health;
mod held;
mod hostile;
mod install;
mod interop;
mod logs;
mod mainrun;
mod multicall;
mod multilog;
mod needs;
mod operator;
mod package;
mod supervise;
mod svscan;
mod svscanctl;
mod tai64;
mod tree;
mod treesup;
