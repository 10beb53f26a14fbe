//! The `workbench` binary. See the crate docs of `workbench` (lib.rs).

fn main() {
    std::process::exit(workbench::cli::main());
}
