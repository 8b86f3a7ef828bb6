//! `pgrphack`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("pgrphack: usage: pgrphack child");
    eprintln!("pgrphack: fatal: not implemented yet");
    std::process::exit(111);
}
