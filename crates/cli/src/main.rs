//! The `kerbgate` command.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("kerbgate: no subcommands yet");
    std::process::exit(2);
}
