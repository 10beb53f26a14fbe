//! `workbench new segmenter NAME`: scaffold a segmenter plugin crate outside
//! the workspace, depending on `workbench-api` by path, with a trivial
//! working segmenter, a README and a test.

use super::{failure, usage, Exit};
use anyhow::anyhow;
use std::path::{Path, PathBuf};

/// Where `workbench-api` lives: the source tree this binary was built from.
pub(crate) fn default_api_path() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api");
    p.canonicalize().unwrap_or(p)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

pub(crate) fn cmd_new_segmenter(
    name: &str,
    dir: Option<&Path>,
    api: Option<&Path>,
) -> Result<i32, Exit> {
    if !valid_name(name) {
        return Err(usage(anyhow!(
            "`{name}` is not a usable plugin name: use lower-case letters, digits and dashes, starting with a letter"
        )));
    }
    let root = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    if root.exists()
        && std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(usage(anyhow!("{} exists and is not empty", root.display())));
    }
    let api = api.map(Path::to_path_buf).unwrap_or_else(default_api_path);
    if !api.join("Cargo.toml").is_file() {
        return Err(usage(anyhow!(
            "workbench-api not found at {} (pass --api PATH to core/api)",
            api.display()
        )));
    }
    let api = api.canonicalize().unwrap_or(api);
    let lib = name.replace('-', "_");
    let files: [(&str, String); 4] = [
        (
            "Cargo.toml",
            CARGO
                .replace("{name}", name)
                .replace("{api}", &api.display().to_string()),
        ),
        ("src/lib.rs", LIB.replace("{name}", name)),
        ("tests/segment.rs", TEST.replace("{lib}", &lib)),
        (
            "README.md",
            README.replace("{name}", name).replace("{lib}", &lib),
        ),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| failure(anyhow!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| failure(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    println!("created segmenter plugin `{name}` in {}", root.display());
    println!(
        "next: cd {} && cargo test && cargo build --release",
        root.display()
    );
    println!(
        "then: workbench segment --plugins {}/target/release --plugin {name} --variant basic PAGE.png --out out/",
        root.display()
    );
    Ok(0)
}

const CARGO: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

# Outside any workspace.
[workspace]

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
workbench-api = { path = "{api}" }
"#;

const LIB: &str = r#"//! The `{name}` segmenter plugin.
//!
//! Variant `basic`: every dark row band is a line, and each line is split
//! into words at runs of blank columns wider than `gap` pixels.

use workbench_api::*;

/// The segmenter, with its parameters.
pub struct Plugin {
    threshold: f32,
    gap: usize,
}

impl Lifecycle for Plugin {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "{name}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            variants: vec![VariantInfo::new(
                "basic",
                "dark row bands are lines, blank column runs split words",
                vec![
                    ParamSpec::float("threshold", 0.5, 0.0, 1.0, "gray below this is ink"),
                    ParamSpec::int("gap", 4, 1, 1000, "blank columns that split words"),
                ],
            )],
        }
    }

    fn new(_variant: &str, config: &Config) -> Result<Self, PluginError> {
        // The defaults are the `ParamSpec`s' above (the host fills them in;
        // `with_defaults` does for a config built by hand, as in the tests).
        let config = config.with_defaults(&Self::info().variants[0].params);
        Ok(Plugin {
            threshold: config.param("threshold")?,
            gap: config.param::<i64>("gap")? as usize,
        })
    }
}

impl Segmenter for Plugin {
    fn segment(&mut self, page: &Image) -> Result<Vec<Region>, PluginError> {
        let (w, h) = (page.width, page.height);
        let ink = |x: usize, y: usize| {
            let sum: f32 = (0..page.channels).map(|c| page.get(y, x, c)).sum();
            sum / (page.channels as f32) < self.threshold
        };
        let row_ink: Vec<bool> = (0..h).map(|y| (0..w).any(|x| ink(x, y))).collect();
        let mut regions = Vec::new();
        let mut y = 0;
        while y < h {
            if !row_ink[y] {
                y += 1;
                continue;
            }
            let top = y;
            while y < h && row_ink[y] {
                y += 1;
            }
            let bottom = y;
            let col_ink: Vec<bool> = (0..w).map(|x| (top..bottom).any(|yy| ink(x, yy))).collect();
            let mut x = 0;
            while x < w {
                if !col_ink[x] {
                    x += 1;
                    continue;
                }
                let left = x;
                let mut right = x;
                let mut blank = 0;
                while x < w && blank < self.gap {
                    if col_ink[x] {
                        right = x + 1;
                        blank = 0;
                    } else {
                        blank += 1;
                    }
                    x += 1;
                }
                regions.push(Region {
                    kind: RegionKind::Word,
                    x: left as f32,
                    y: top as f32,
                    w: (right - left) as f32,
                    h: (bottom - top) as f32,
                    score: None,
                });
            }
        }
        Ok(regions)
    }
}

export_segmenter!(Plugin);
"#;

const TEST: &str = r#"use workbench_api::*;
use {lib}::Plugin;

#[test]
fn two_words_on_one_line() {
    // A 20 × 6 white page with two dark bars on rows 2..4.
    let mut data = vec![1.0f32; 20 * 6];
    for y in 2..4 {
        for x in (1..6).chain(12..18) {
            data[y * 20 + x] = 0.0;
        }
    }
    let page = Image { height: 6, width: 20, channels: 1, data: &data };
    let mut s = Plugin::new("basic", &Config::default()).unwrap();
    let r = s.segment(&page).unwrap();
    let boxes: Vec<_> = r.iter().map(|r| (r.x, r.y, r.w, r.h)).collect();
    assert_eq!(boxes, vec![(1.0, 2.0, 5.0, 2.0), (12.0, 2.0, 6.0, 2.0)]);
}
"#;

const README: &str = r#"# {name}

A segmenter plugin for the workbench, scaffolded by `workbench new segmenter {name}`.

- `src/lib.rs`: the `Segmenter` implementation (variant `basic`) and the
  `export_segmenter!` line that makes the library a plugin;
- `tests/segment.rs`: a test calling the segmenter directly.

```sh
cargo test                      # the plugin's own tests
cargo build --release           # target/release/lib{lib}.so (.dylib, .dll)
workbench segment --plugins target/release --plugin {name} --variant basic page.png --out out/ --overlay
```

To compare it with the built-in segmenters, add its directory to a spec's
`plugins:` list and a run with `plugin: {name}`.
"#;
