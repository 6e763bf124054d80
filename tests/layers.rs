//! The module tree's layers, checked from the source: the top modules under `src/` form no
//! cycle (each names only modules below it), the output seam's consumers do not reach into
//! the log outputs, and the counting stages never name the tray. A `crate::x` path in code
//! (comments are skipped) is what counts as naming `x`. And no source file passes 500 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<PathBuf>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line: what stands before a `//` that is not inside a string.
fn code(line: &str) -> &str {
    let mut in_str = false;
    let b = line.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'"' if i == 0 || b[i - 1] != b'\\' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top modules a source text names: `crate::x…` and `use crate::{x, y::…}`.
fn named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text.lines().map(|l| code(l).to_string() + "\n").collect();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        out.insert(ident(&group[j..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(after).to_string());
        }
        rest = after;
    }
    out
}

/// Which top module names which, and in which files.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        if ["lib.rs", "main.rs", "console.rs"].contains(&&*first) {
            continue; // the crate roots
        }
        let top = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let entry = g.entry(top.clone()).or_default();
        for n in named(&text) {
            if n != top && n != "self" && n != "super" {
                entry.entry(n).or_default().insert(rel.to_path_buf());
            }
        }
    }
    g
}

/// A cycle through `at`, if there is one: the modules on it, in order.
fn cycle_from(
    g: &Graph,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    let at = path.last().unwrap().clone();
    for next in g.get(&at).into_iter().flat_map(|m| m.keys()) {
        if let Some(i) = path.iter().position(|p| p == next) {
            let mut c = path[i..].to_vec();
            c.push(next.clone());
            return Some(c);
        }
        if done.contains(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(c) = cycle_from(g, path, done) {
            return Some(c);
        }
        path.pop();
    }
    done.insert(at);
    None
}

#[test]
fn the_parser_sees_paths_groups_and_skips_comments() {
    let text = "use crate::a::b;\nuse crate::{c, d::{e, f}, g};\n// crate::h\nlet s = \"//\"; crate::i::j();";
    let got: Vec<_> = named(text).into_iter().collect();
    assert_eq!(got, ["a", "c", "d", "g", "i"]);
}

#[test]
fn the_top_modules_form_no_cycle() {
    let g = graph();
    assert!(g.len() > 10, "the source tree was read: {:?}", g.keys());
    let mut done = BTreeSet::new();
    for top in g.keys() {
        if let Some(c) = cycle_from(&g, &mut vec![top.clone()], &mut done) {
            let by: Vec<String> = c
                .windows(2)
                .map(|w| format!("{} -> {} in {:?}", w[0], w[1], g[&w[0]][&w[1]]))
                .collect();
            panic!("import cycle {}:\n{}", c.join(" -> "), by.join("\n"));
        }
    }
}

#[test]
fn the_seams_consumers_do_not_reach_into_the_log_outputs() {
    let g = graph();
    for m in ["report", "history", "sink"] {
        assert!(
            !g[m].contains_key("output"),
            "{m} names output: {:?}",
            g[m].get("output")
        );
    }
    for m in ["report", "history", "output"] {
        assert!(
            !g["sink"].contains_key(m),
            "the seam names its consumer {m}"
        );
    }
}

#[test]
fn the_counting_stages_never_name_the_tray() {
    let g = graph();
    for m in [
        "core", "alerts", "summary", "decode", "flow", "receive", "health", "sink",
    ] {
        for gui in ["tray", "app", "entry", "companion"] {
            assert!(
                !g[m].contains_key(gui),
                "{m} names {gui}: {:?}",
                g[m].get(gui)
            );
        }
    }
}

#[test]
fn no_source_file_is_over_500_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 500).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split by concept: {long:?}");
}
