//! `multilog`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("multilog: usage: multilog script");
    eprintln!("multilog: fatal: not implemented yet");
    std::process::exit(111);
}
