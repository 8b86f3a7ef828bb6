//! `fghack`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("fghack: usage: fghack child");
    eprintln!("fghack: fatal: not implemented yet");
    std::process::exit(111);
}
