//! `setlock`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("setlock: usage: setlock [ -nNxX ] file program [ arg ... ]");
    eprintln!("setlock: fatal: not implemented yet");
    std::process::exit(111);
}
