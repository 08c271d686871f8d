//! The layering of ARCHITECTURE.md, kept: every `crate::<module>` path in the compiler's code
//! (test modules left out) names a module of a lower layer, the layers after lowering name
//! nothing of `syntax`, and the runtime reaches into the compiler only for the IR, the
//! fingerprints and the shared helpers.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use std::path::{Path, PathBuf};

/// Each compiler module and its layer: a module may name modules of lower layers only (the
/// shared helpers of layer 0 may also name one another).
const LAYERS: &[(&str, u8)] = &[
    ("casing", 0),
    ("diagnostic", 0),
    ("ignore_file", 0),
    ("paths", 0),
    ("python", 0),
    ("source", 0),
    ("suggest", 0),
    ("yaml", 1),
    ("syntax", 2),
    ("ir", 3),
    ("check", 4),
    ("lower", 5),
    ("fingerprint", 6),
    ("emit", 7),
    ("report", 7),
    ("schema", 7),
    ("session", 8),
    ("synth", 9),
];

/// Modules that read only the format-neutral model: they name nothing of `syntax`.
const AFTER_LOWERING: &[&str] = &["check", "fingerprint", "emit"];

/// What the runtime may use of the compiler besides the crate root's `Compiled`.
const RUNTIME_MAY_USE: &[&str] = &["ir", "fingerprint", "suggest", "python", "paths", "source", "Compiled"];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file that is not test code: test files are left out, and so is the item under
/// each `#[cfg(test)]` (a `mod x;` line, an item up to its closing brace, or an inline `mod x {`,
/// which by convention ends the file); comments are dropped.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    if path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
    {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        if code.trim_start().starts_with("#[cfg(test)]") {
            if !skip_test_item(&mut lines) {
                break;
            }
            continue;
        }
        out.push((i + 1, code.to_owned()));
    }
    out
}

/// Skips the item under a `#[cfg(test)]`; false when it is an inline test module (the rest of
/// the file is left out).
fn skip_test_item<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) -> bool {
    let mut depth = 0i64;
    let mut opened = false;
    for (_, line) in lines.by_ref() {
        let code = line.find("//").map_or(line, |at| &line[..at]).trim();
        if !opened && (code.is_empty() || code.starts_with("#[")) {
            continue;
        }
        if !opened && code.starts_with("mod ") && code.ends_with('{') {
            return false;
        }
        if !opened && code.ends_with(';') {
            return true;
        }
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
        opened |= code.contains('{');
        if opened && depth <= 0 {
            return true;
        }
    }
    true
}

/// The first segment of every path starting with `prefix` on a line (`prefix{a, b::c}` names
/// `a` and `b`).
fn named_after(line: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').map(|item| ident(item.trim())).filter(|s| !s.is_empty()));
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The compiler module a file belongs to (`None` for the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    let module = first.strip_suffix(".rs").map(str::to_owned).unwrap_or(first);
    (module != "lib").then_some(module)
}

/// Every import in the compiler that breaks the layering, as `file:line: from -> to (why)`.
fn violations(src: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    for file in rust_files(src) {
        let Some(from) = module_of(src, &file) else { continue };
        let from_layer = layer(&from).unwrap_or_else(|| panic!("module `{from}` has no layer in LAYERS"));
        let shown = file.strip_prefix(src).unwrap().display().to_string();
        for (n, line) in code_lines(&file) {
            for to in named_after(&line, "crate::") {
                if to == from || to.chars().next().is_some_and(char::is_uppercase) || to == "every_rule" {
                    continue;
                }
                let Some(to_layer) = layer(&to) else { continue };
                let shared = from_layer == 0 && to_layer == 0;
                if to_layer >= from_layer && !shared {
                    bad.push(format!(
                        "{shown}:{n}: `{from}` (layer {from_layer}) imports `{to}` (layer {to_layer})"
                    ));
                }
                if to == "syntax" && AFTER_LOWERING.contains(&from.as_str()) {
                    bad.push(format!("{shown}:{n}: `{from}` reads the model only, yet imports `syntax`"));
                }
            }
        }
    }
    bad
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn compiler_modules_import_only_lower_layers() {
    let bad = violations(&root().join("compiler/src"));
    assert!(bad.is_empty(), "imports against the layering (ARCHITECTURE.md):\n{}", bad.join("\n"));
}

#[test]
fn runtime_uses_only_the_model_of_the_compiler() {
    let src = root().join("runtime/src");
    let mut bad = Vec::new();
    for file in rust_files(&src) {
        for (n, line) in code_lines(&file) {
            for to in named_after(&line, "sluice_compiler::") {
                if !RUNTIME_MAY_USE.contains(&to.as_str()) {
                    bad.push(format!("{}:{n}: uses sluice_compiler::{to}", file.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "the runtime depends on the compiler's model only:\n{}", bad.join("\n"));
}

#[test]
fn the_scanner_sees_imports() {
    assert_eq!(named_after("use crate::{ir::Step, source::Span};", "crate::"), ["ir", "source"]);
    assert_eq!(named_after("let x = crate::paths::absolute(p);", "crate::"), ["paths"]);
    assert!(named_after("// crate::session", "crate::").len() == 1, "comments are dropped by code_lines");
}

#[test]
fn only_the_test_items_of_a_file_are_left_out() {
    let dir = std::env::temp_dir().join(format!("sluice-architecture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("m.rs");
    let text = "use crate::a;\n#[cfg(test)]\nmod tests;\nuse crate::b;\n#[cfg(test)]\n#[allow(dead_code)]\n\
                fn helper() {\n    if x { crate::t1(); }\n}\nuse crate::c;\n#[cfg(test)]\nmod inline {\n    use crate::t2;\n}\n";
    std::fs::write(&file, text).unwrap();
    let named: Vec<String> = code_lines(&file).iter().flat_map(|(_, l)| named_after(l, "crate::")).collect();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(named, ["a", "b", "c"]);
}
