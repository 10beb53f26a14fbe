//! Tidy checks, in the style of rust-analyzer's `tidy` test: the rules
//! ARCHITECTURE.md states, checked against the source text on every
//! `cargo test`. Plain string scanning, no parser: each check is a few lines
//! a contributor can read when it fails.
//!
//! - `core/app/src`: every module imports (`crate::m` paths) only from
//!   modules in lower rows of ARCHITECTURE.md's layer table, and every
//!   module is in that table;
//! - `tui/view` does no file I/O and reads no clock;
//! - crates: no plugin depends on `workbench`, `workbench` on no plugin,
//!   `workbench-vision` and `workbench-ml` on no other workbench crate but
//!   the ones ARCHITECTURE.md allows;
//! - `unsafe_code` is allowed only in the files ARCHITECTURE.md lists;
//! - every `#[repr(C)]` type of the ABI has a size/offset layout test.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of a section of ARCHITECTURE.md: from the heading that starts
/// with `heading` to the next heading of the same or a higher level.
fn section(heading: &str) -> Vec<String> {
    let text = read(&root().join("ARCHITECTURE.md"));
    let mut lines = text.lines();
    let start = lines
        .by_ref()
        .find(|l| l.starts_with(heading))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no `{heading}` section"));
    let level = start.chars().take_while(|&c| c == '#').count();
    lines
        .take_while(|l| {
            let h = l.chars().take_while(|&c| c == '#').count();
            h == 0 || h > level
        })
        .map(str::to_string)
        .collect()
}

/// The words in backticks on a line.
fn backticked(line: &str) -> Vec<String> {
    line.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// ARCHITECTURE.md's layer table: module → layer (0 is the lowest).
fn layers() -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in section("## Layers") {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | layer | modules | what it is |
        if cells.len() < 4 {
            continue;
        }
        let Ok(layer) = cells[1].parse::<usize>() else {
            continue;
        };
        for module in backticked(cells[2]) {
            assert!(
                out.insert(module.clone(), layer).is_none(),
                "ARCHITECTURE.md's layer table lists `{module}` twice"
            );
        }
    }
    assert!(!out.is_empty(), "ARCHITECTURE.md's layer table is empty");
    out
}

/// The top-level module of a file under `core/app/src` (`None` for the
/// crate roots).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Code of a line without its `//` comment (doc links are not imports).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The top-level modules a source text names through `crate::` paths,
/// with the line each is first named on: `crate::a::b`, `crate::{a, b::c}`,
/// nested groups included.
fn crate_imports(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // Join lines so that groups spanning lines read as one, remembering
    // where each line starts.
    let mut joined = String::new();
    let mut starts = Vec::new();
    for line in text.lines() {
        starts.push(joined.len());
        joined.push_str(code(line));
        joined.push('\n');
    }
    let line_of = |at: usize| starts.partition_point(|&s| s <= at);
    let mut at = 0;
    while let Some(i) = joined[at..].find("crate::") {
        let start = at + i;
        at = start + "crate::".len();
        // `$crate::` in macros and `workbench_crate::`-like names are not ours.
        let before = joined[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &joined[at..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first segment of each item of the group, at depth 0.
            let mut depth = 0;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        let name: String = group[k..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        out.push((name, line_of(start)));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((name, line_of(start)));
            }
        }
    }
    out
}

/// Every `crate::` import in `core/app/src` that the layer table forbids,
/// as `file:line: message` lines.
fn layer_violations(src: &Path, layers: &BTreeMap<String, usize>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in rust_files(src) {
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        seen.insert(module.clone());
        let rel = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .display()
            .to_string();
        let Some(&own) = layers.get(&module) else {
            problems.push(format!(
                "{rel}: module `{module}` is not in ARCHITECTURE.md's layer table"
            ));
            continue;
        };
        for (used, line) in crate_imports(&read(&file)) {
            if used == module || used == "self" || used == "super" {
                continue;
            }
            match layers.get(&used) {
                None => problems.push(format!(
                    "{rel}:{line}: `crate::{used}` is not in ARCHITECTURE.md's layer table"
                )),
                Some(&other) if other >= own => problems.push(format!(
                    "{rel}:{line}: `{module}` (layer {own}) imports `crate::{used}` (layer {other}); \
                     a module may only import from lower layers"
                )),
                Some(_) => {}
            }
        }
    }
    for module in layers.keys() {
        if !seen.contains(module) {
            problems.push(format!(
                "ARCHITECTURE.md's layer table lists `{module}`, which core/app/src does not have"
            ));
        }
    }
    problems
}

#[test]
fn app_modules_import_only_from_lower_layers() {
    let problems = layer_violations(&root().join("core/app/src"), &layers());
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_import_scanner_sees_every_form() {
    let text = "use crate::a::b;\nuse crate::{c, d::{e, f}, g};\nlet x = crate::h::i();\n\
                // crate::comment\nmacro_rules! m { () => { $crate::j } }\n";
    let names: Vec<String> = crate_imports(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "c", "d", "g", "h"]);
}

#[test]
fn a_cyclic_import_is_refused() {
    // Copy the real source, add one import against the layering, and check
    // that the same check that runs on the real tree refuses it.
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("core/app/src");
    for file in rust_files(&src) {
        let to = dir.path().join(file.strip_prefix(&src).unwrap());
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&file, &to).unwrap();
    }
    let add = |file: &str, import: &str| {
        let path = dir.path().join(file);
        let text = read(&path);
        fs::write(&path, format!("{import}\n{text}")).unwrap();
    };
    // Upward: a leaf naming the top.
    add("metrics/mod.rs", "use crate::cli::Cli;");
    // A cycle: `evaluate` imports `plan`, and now `plan` imports `evaluate`.
    add("plan.rs", "use crate::evaluate::EvalError;");
    // Sideways, within one layer: `spec` and `worker` share a row.
    add("spec/mod.rs", "use crate::{worker::run, hint};");
    let problems = layer_violations(dir.path(), &layers());
    let expected = [
        "`metrics` (layer 0) imports `crate::cli` (layer 12)",
        "`plan` (layer 4) imports `crate::evaluate` (layer 8)",
        "`spec` (layer 9) imports `crate::worker` (layer 9)",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for e in expected {
        assert!(problems.iter().any(|p| p.contains(e)), "{e}: {problems:#?}");
    }
}

#[test]
fn tui_views_do_no_io_and_read_no_clock() {
    let forbidden = [
        "std::fs",
        "fs::",
        "File::",
        "OpenOptions",
        "read_to_string",
        "std::io::Read",
        "std::env",
        "std::net",
        "std::process",
        "Instant::now",
        "SystemTime::now",
        "thread::sleep",
    ];
    let mut problems = Vec::new();
    for file in rust_files(&root().join("core/app/src/tui/view")) {
        for (i, line) in read(&file).lines().enumerate() {
            for f in forbidden {
                if code(line).contains(f) {
                    problems.push(format!("{}:{}: `{f}` in a view", file.display(), i + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// `[package] name` and the names under every `[*dependencies]` table of a
/// manifest (workspace-inherited or not).
fn manifest(path: &Path) -> (String, BTreeSet<String>) {
    let text = read(path);
    let mut name = String::new();
    let mut deps = BTreeSet::new();
    let mut table = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            table = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if table == "package" && key == "name" {
            name = value.trim().trim_matches('"').to_string();
        } else if table.ends_with("dependencies") {
            deps.insert(key.split('.').next().unwrap().trim().to_string());
        }
    }
    (name, deps)
}

#[test]
fn crates_depend_only_as_the_architecture_says() {
    let root = root();
    let mut plugins = Vec::new();
    let mut stack = vec![root.join("plugins")];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.join("Cargo.toml").is_file() {
                plugins.push(manifest(&path.join("Cargo.toml")));
            } else if path.is_dir() {
                stack.push(path);
            }
        }
    }
    assert!(
        plugins.len() >= 4,
        "found only {} plugin crates",
        plugins.len()
    );
    let mut problems = Vec::new();
    for (name, deps) in &plugins {
        if deps.contains("workbench") {
            problems.push(format!("plugin `{name}` depends on `workbench`"));
        }
    }
    let (_, app) = manifest(&root.join("core/app/Cargo.toml"));
    for (name, _) in &plugins {
        if app.contains(name) {
            problems.push(format!("`workbench` depends on plugin `{name}`"));
        }
    }
    let (_, vision) = manifest(&root.join("core/vision/Cargo.toml"));
    for dep in vision.iter().filter(|d| d.starts_with("workbench")) {
        problems.push(format!("`workbench-vision` depends on `{dep}`"));
    }
    let (_, ml) = manifest(&root.join("core/ml/Cargo.toml"));
    for dep in ml.iter().filter(|d| d.starts_with("workbench")) {
        problems.push(format!("`workbench-ml` depends on `{dep}`"));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn unsafe_is_allowed_only_where_the_architecture_says() {
    let root = root();
    let listed: BTreeSet<String> = section("## Where `unsafe` lives")
        .iter()
        .flat_map(|l| backticked(l))
        .filter(|w| w.ends_with(".rs"))
        .collect();
    assert!(
        !listed.is_empty(),
        "ARCHITECTURE.md lists no file for `unsafe`"
    );
    let mut problems = Vec::new();
    for file in listed.iter() {
        if !root.join(file).is_file() {
            problems.push(format!(
                "ARCHITECTURE.md lists `{file}`, which does not exist"
            ));
        }
    }
    for dir in ["core", "plugins", "tests", "benches"] {
        for file in rust_files(&root.join(dir)) {
            let rel = file.strip_prefix(&root).unwrap().display().to_string();
            if rel.ends_with("core/app/tests/tidy.rs") {
                continue;
            }
            let text = read(&file);
            if text.contains("allow(unsafe_code)") && !listed.contains(&rel) {
                problems.push(format!(
                    "{rel} allows `unsafe_code` but ARCHITECTURE.md does not list it"
                ));
            }
        }
    }
    let manifest = read(&root.join("Cargo.toml"));
    if !manifest.contains("unsafe_code = \"deny\"")
        && !manifest.contains("unsafe_code = \"forbid\"")
    {
        problems.push("the workspace does not deny `unsafe_code`".into());
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn every_abi_type_has_a_layout_test() {
    let root = root();
    let mut types = Vec::new();
    for file in rust_files(&root.join("core/api/src")) {
        let text = read(&file);
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim() != "#[repr(C)]" {
                continue;
            }
            let decl = lines
                .by_ref()
                .find(|l| l.contains("struct ") || l.contains("enum ") || l.contains("union "))
                .unwrap();
            let name: String = decl
                .split_whitespace()
                .skip_while(|w| !["struct", "enum", "union"].contains(w))
                .nth(1)
                .unwrap()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            types.push(name);
        }
    }
    assert!(types.len() >= 10, "found only {types:?}");
    let layout = read(&root.join("core/api/tests/layout.rs"));
    let missing: Vec<_> = types
        .iter()
        .filter(|t| !layout.contains(&format!("size_of::<{t}>()")))
        .collect();
    assert!(
        missing.is_empty(),
        "core/api/tests/layout.rs checks no size of: {missing:?}"
    );
}

#[test]
fn the_worker_and_the_plugins_name_the_same_pool_variable() {
    // The worker sets it, `workbench-ml` (which the app does not link)
    // reads it: one name in two crates.
    let quoted = |path: &str, decl: &str| -> String {
        let text = read(&root().join(path));
        let line = text
            .lines()
            .find(|l| l.contains(decl))
            .unwrap_or_else(|| panic!("{path} declares no `{decl}`"));
        line.split('"').nth(1).expect("a quoted name").to_string()
    };
    let app = quoted("core/app/src/worker.rs", "pub const JOIN_POOL_ENV");
    let ml = quoted("core/ml/src/threads.rs", "pub const ENV");
    assert_eq!(app, ml);
    assert!(app.starts_with("WORKBENCH_"), "{app}");
}
