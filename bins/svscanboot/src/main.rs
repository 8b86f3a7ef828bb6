//! `svscanboot`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("svscanboot: usage: svscanboot [dir]");
    eprintln!("svscanboot: fatal: not implemented yet");
    std::process::exit(111);
}
