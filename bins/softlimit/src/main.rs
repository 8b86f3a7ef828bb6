//! `softlimit`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("softlimit: usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child");
    eprintln!("softlimit: fatal: not implemented yet");
    std::process::exit(111);
}
