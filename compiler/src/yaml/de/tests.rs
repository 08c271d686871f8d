use super::*;
use crate::yaml::{Limits, Map, Spanned, parse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    script_name: Spanned<String>,
    #[serde(default)]
    arguments: Vec<Spanned<String>>,
    allow_reuse: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    steps: Map<Step>,
    kind: Option<Kind>,
    mode: Option<Mode>,
}

#[derive(Debug, Deserialize)]
enum Kind {
    Script(Script),
    Notebook { path: Spanned<String> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    name: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Mount,
    Download,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename = "$sluice::case=lower", rename_all = "snake_case")]
enum LooseMode {
    RoMount,
    Download,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename = "$sluice::case=snake")]
enum Identity {
    #[serde(rename = "user_identity")]
    User {},
    #[serde(rename = "aml_token")]
    Token {},
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Loose {
    mode: Option<LooseMode>,
    identity: Option<Identity>,
}

#[test]
fn enums_that_ask_for_it_read_names_in_another_case() {
    let doc: Loose = read("mode: RO_Mount\nidentity: {type: UserIdentity}\n").unwrap();
    assert_eq!(doc.mode, Some(LooseMode::RoMount));
    assert_eq!(doc.identity, Some(Identity::User {}));
    let doc: Loose = read("mode: DOWNLOAD\nidentity: {type: AMLToken}\n").unwrap();
    assert_eq!((doc.mode, doc.identity), (Some(LooseMode::Download), Some(Identity::Token {})));
    // camel_to_snake makes `user__identity` of this, which is no variant.
    let text = "identity: {type: User_Identity}\n";
    let errors = read::<Loose>(text).unwrap_err();
    assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }), "{errors:?}");
    assert_eq!(at(text, &errors[0]), "User_Identity");
    // Other enums stay exact.
    let errors = read::<Doc>("steps: {}\nmode: Mount\n").unwrap_err();
    assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }), "{errors:?}");
}

fn read<T: DeserializeOwned + Send>(text: &str) -> Result<T, Vec<DeError>> {
    let (node, errors) = parse(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    from_node(&node.unwrap(), text)
}

fn at(text: &str, e: &DeError) -> String {
    let s = e.span.unwrap();
    text[s.start as usize..s.end as usize].to_string()
}

#[test]
fn reads_spans_and_numbers_as_text() {
    let text = "steps:\n  a:\n    script_name: 1.10\n    arguments: [x, 'y']\n";
    let doc: Doc = read(text).unwrap();
    let (key, step) = &doc.steps.entries[0];
    assert_eq!(step.allow_reuse, None);
    assert_eq!(key.value, "a");
    assert_eq!(step.script_name.value, "1.10");
    assert_eq!(&text[step.arguments[1].span.start as usize..step.arguments[1].span.end as usize], "'y'");
}

#[test]
fn reports_every_unknown_key() {
    let text =
        "steps:\n  a:\n    scrpt_name: x\n    argments: []\n  b:\n    script_name: y\n    allow_reus: true\n";
    let errors = read::<Doc>(text).unwrap_err();
    let keys: Vec<String> = errors.iter().map(|e| at(text, e)).collect();
    assert!(keys.contains(&"scrpt_name".to_string()), "{errors:?}");
    assert!(keys.contains(&"argments".to_string()));
    assert!(keys.contains(&"allow_reus".to_string()));
}

#[test]
fn missing_keys_point_at_the_owner() {
    let text = "steps:\n  a:\n    arguments: []\n";
    let errors = read::<Doc>(text).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors[0].kind, DeErrorKind::MissingField { field: "script_name" }));
    assert_eq!(at(text, &errors[0]), "a");
}

#[test]
fn a_misspelt_required_key_is_one_mistake() {
    let text = "steps:\n  a:\n    scrpt_name: x\n  b:\n    argments: []\n";
    let errors = read::<Doc>(text).unwrap_err();
    let found: Vec<(String, bool)> =
        errors.iter().map(|e| (at(text, e), matches!(e.kind, DeErrorKind::MissingField { .. }))).collect();
    // `scrpt_name` stands for the missing `script_name`; `b` still lacks it.
    assert_eq!(
        found,
        vec![("scrpt_name".to_string(), false), ("argments".to_string(), false), ("b".to_string(), true)]
    );
}

#[test]
fn wrong_types_point_at_the_value() {
    let text = "steps:\n  a:\n    script_name: x\n    allow_reuse: yes\n";
    let errors = read::<Doc>(text).unwrap_err();
    assert_eq!(at(text, &errors[0]), "yes");
    assert!(errors[0].message().contains("`true` or `false`"), "{}", errors[0].message());
}

#[test]
fn enums_tagged_by_type() {
    let text = "steps: {}\nkind:\n  type: Notebook\n  path: nb.ipynb\nmode: mount\n";
    let doc: Doc = read(text).unwrap();
    let Some(Kind::Notebook { path }) = doc.kind else { panic!() };
    assert_eq!(
        at(text, &DeError { kind: DeErrorKind::Custom(String::new()), span: Some(path.span) }),
        "nb.ipynb"
    );
    assert_eq!(doc.mode, Some(Mode::Mount));

    let text = "steps: {}\nkind:\n  type: Notebok\n";
    let errors = read::<Doc>(text).unwrap_err();
    assert!(matches!(errors[0].kind, DeErrorKind::UnknownVariant { .. }));
    assert_eq!(at(text, &errors[0]), "Notebok");

    let doc: Doc = read("steps: {}\nkind:\n  type: Script\n  name: a\n").unwrap();
    assert!(matches!(doc.kind, Some(Kind::Script(Script { ref name })) if name == "a"));

    let text = "steps: {}\nkind:\n  type: Script\n  name: a\n  nme: b\n";
    let errors = read::<Doc>(text).unwrap_err();
    assert_eq!(at(text, &errors[0]), "nme");

    let text = "steps: {}\nmode: mont\n";
    let errors = read::<Doc>(text).unwrap_err();
    assert_eq!(at(text, &errors[0]), "mont");
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    name: Spanned<String>,
    source: Spanned<String>,
    destination: Spanned<String>,
    kind: Option<Spanned<String>>,
    reuse: Option<bool>,
    mode: Option<Mode>,
}

fn read_with<T: DeserializeOwned + Send>(text: &str, options: ReadOptions) -> Vec<(String, String)> {
    let (node, errors) = parse(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    match from_node_with::<T>(&node.unwrap(), text, options) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| (at(text, e), e.message())).collect(),
    }
}

#[test]
fn recovery_reports_every_mistake_of_one_mapping() {
    let text = "name: [a]\ndestination: d\nkind: 5\nreuse: maybe\nmode: mnt\n";
    let recover = ReadOptions { recover: true, ..ReadOptions::default() };
    let found = read_with::<Transfer>(text, recover);
    let places: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
    // The wrong-typed `name` (a stand-in takes its place), the others, and the missing
    // `source` beside them.
    assert_eq!(
        places,
        ["[a", "maybe", "mnt", "name: [a]\ndestination: d\nkind: 5\nreuse: maybe\nmode: mnt"],
        "{found:?}"
    );
    assert!(found.iter().any(|(_, m)| m == "missing required key `source`"), "{found:?}");
    // Without recovery the first mistake hides the rest.
    assert_eq!(read_with::<Transfer>(text, ReadOptions::default()).len(), 1);
}

#[test]
fn strict_strings_refuse_numbers_and_what_the_sdk_types() {
    let strict = ReadOptions { strict_strings: true, ..ReadOptions::default() };
    let text = "name: 5\nsource: 2024-01-31\ndestination: '2024-01-31'\n";
    let found = read_with::<Transfer>(text, strict);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "5");
    let recover = ReadOptions { strict_strings: true, recover: true };
    let found = read_with::<Transfer>(text, recover);
    let places: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
    assert_eq!(places, ["5", "2024-01-31"], "{found:?}");
    assert!(found[1].1.contains("a date"), "{found:?}");
    // Keys stay text whatever their YAML type; lenient reading keeps numbers as text.
    assert!(read_with::<Map<String>>("1: a\n2024-01-31: b\n", strict).is_empty());
    assert!(read_with::<Transfer>(text, ReadOptions::default()).is_empty());
}
