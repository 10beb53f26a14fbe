//! Plugin discovery: what is accepted, what is refused and why.

use crate::harness::*;

#[test]
fn plugins_lists_accepted_and_refused_files_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |name: &str| {
        let from = plugin_lib(name);
        std::fs::copy(&from, dir.path().join(from.file_name().unwrap())).unwrap();
    };
    copy("workbench-pca");
    copy("fixture-wrong-abi");
    copy("fixture-not-a-plugin");
    std::fs::write(
        dir.path()
            .join(format!("libjunk{}", std::env::consts::DLL_SUFFIX)),
        b"not a library",
    )
    .unwrap();

    let out = run(
        dir.path(),
        &["plugins", "--dir", dir.path().to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line_for = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.contains(dir.path().to_str().unwrap()) && l.contains(needle))
            .unwrap_or_else(|| panic!("no line about {needle}:\n{stdout}"))
            .to_string()
    };
    assert!(line_for("wrong_abi").contains("built for plugin ABI version 999"));
    assert!(line_for("wrong_abi").contains("rebuild the plugin"));
    assert!(line_for("not_a_plugin").contains("no `workbench_plugin_descriptor` symbol"));
    assert!(line_for("libjunk").contains("not a loadable library"));
    // The PCA plugin is listed with its variant and parameters.
    assert!(
        stdout.contains("pca 0.1.0  (autoencoder, ABI 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("components (int 1..=4096, default 16)"),
        "{stdout}"
    );
    // The same plugin in the binary's directory is refused as a duplicate.
    assert!(stdout.contains("duplicate plugin name `pca`"), "{stdout}");
}

#[test]
fn a_missing_plugin_dir_is_refused_with_its_position() {
    let (dir, spec) = spec_dir(&format!(
        "name: x\nplugins: [./nowhere]\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca}}\n"
    ));
    let out = run(dir.path(), &["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("spec.yaml:2:"), "{stderr}");
    assert!(stderr.contains("nowhere does not exist"), "{stderr}");

    let out = run(dir.path(), &["plugins", "--dir", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/no/such/dir (from --dir) does not exist")
    );
}

#[test]
fn an_unknown_plugin_names_where_it_looked() {
    let (dir, spec) = spec_dir(&format!(
        "name: x\n{SMALL_DIGITS}runs:\n  - {{plugin: pcaa, variant: pca}}\n"
    ));
    let out = run(dir.path(), &["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spec.yaml:6:6: runs[0].plugin: no plugin named `pcaa`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `pca`?"), "{stderr}");
    assert!(stderr.contains("plugins were searched in:"), "{stderr}");
}

#[test]
fn completions_and_a_man_page_come_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["completions", "bash"]);
    assert!(o.status.success(), "{}", text(&o));
    let script = String::from_utf8_lossy(&o.stdout);
    assert!(
        script.contains("_workbench()") && script.contains("segment"),
        "{script}"
    );
    let o = run(dir.path(), &["man"]);
    assert!(o.status.success(), "{}", text(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.contains(".TH workbench 1") && page.contains("SUBCOMMANDS"),
        "{page}"
    );
    let o = run(dir.path(), &["completions", "nosh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("possible values"), "{}", text(&o));
}
