//! Records the workbench's git commit at build time (`WORKBENCH_GIT`: the
//! commit, `-dirty` when the work tree had changes, `unknown` outside a git
//! checkout), so every run can say which code made it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let value = match commit {
        Some(c) if dirty => format!("{c}-dirty"),
        Some(c) => c,
        None => "unknown".into(),
    };
    println!("cargo:rustc-env=WORKBENCH_GIT={value}");
    // Again when the checkout moves or the sources change.
    for path in [
        "../../.git/HEAD",
        "../../.git/index",
        "src",
        "../../plugins",
        "../api/src",
        "../ml/src",
        "../vision/src",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
