//! `svscan`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("svscan: usage: svscan [dir]");
    eprintln!("svscan: fatal: not implemented yet");
    std::process::exit(111);
}
