//! Every hostile value, in every quoting context of a template, reaches the program as the same
//! text when the rendered command is run by bash and by dash, and never runs anything.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

use super::*;

const HOSTILE: &[&str] = &[
    "; touch MARK",
    "$(touch MARK)",
    "`touch MARK`",
    "a'b",
    "a\"b",
    "a\nb",
    "-x",
    "--",
    "",
    " ",
    "\\",
    "a\\'b",
    "'",
    "\"",
    "`",
    "$HOME",
    "${HOME}",
    "*",
    "~",
    "{a,b}",
    "#x",
    "a\tb",
    "!x",
    "é ü 漢字",
    "$'x'",
    "\\\n",
    "x\\",
    "EOF",
    "a b  c",
    "'; touch MARK; '",
    "\"; touch MARK; \"",
    "\\\"; touch MARK; #",
    ")",
    "$((1+1))",
    "a=b",
];

/// One way of using a placeholder (`{}`) and what the command prints for value `v`.
struct Case {
    template: &'static str,
    expect: fn(&str) -> Option<String>,
    bash_only: bool,
}

fn bracket(v: &str) -> Option<String> {
    Some(format!("[{v}]"))
}

fn cases() -> Vec<Case> {
    let plain = |t| Case { template: t, expect: bracket, bash_only: false };
    vec![
        plain("printf '[%s]' {}"),
        plain("printf '[%s]' \"{}\""),
        plain("printf '[%s]' '{}'"),
        Case { template: "printf '[%s]' x{}y", expect: |v| Some(format!("[x{v}y]")), bash_only: false },
        Case {
            template: "printf '[%s]' \"a {} b\"",
            expect: |v| Some(format!("[a {v} b]")),
            bash_only: false,
        },
        Case { template: "printf '[%s]' 'a {} b'", expect: |v| Some(format!("[a {v} b]")), bash_only: false },
        Case { template: "printf '[%s]' $'{}'", expect: bracket, bash_only: true },
        Case {
            template: "printf '[%s]' --opt={}",
            expect: |v| Some(format!("[--opt={v}]")),
            bash_only: false,
        },
        Case { template: "printf '[%s]' ${}", expect: |v| Some(format!("[${v}]")), bash_only: false },
        Case { template: "printf '[%s]' \"${}\"", expect: |v| Some(format!("[${v}]")), bash_only: false },
        Case {
            template: "printf '[%s]' \"$(printf '%s' {})\"",
            expect: |v| Some(format!("[{}]", v.trim_end_matches('\n'))),
            bash_only: false,
        },
        Case {
            template: "printf '[%s]' \"$(printf '%s' \"{}\")\"",
            expect: |v| Some(format!("[{}]", v.trim_end_matches('\n'))),
            bash_only: false,
        },
        Case {
            template: "x=`printf '%s' {}`; printf '[%s]' \"$x\"",
            expect: |v| Some(format!("[{}]", v.trim_end_matches('\n'))),
            bash_only: false,
        },
        Case {
            template: "x=`printf '%s' \"{}\"`; printf '[%s]' \"$x\"",
            expect: |v| Some(format!("[{}]", v.trim_end_matches('\n'))),
            bash_only: false,
        },
        Case { template: "printf '[%s]' \"`printf '%s' {}`\"", expect: |_| None, bash_only: false },
        Case { template: "x={}; printf '[%s]' \"$x\"", expect: bracket, bash_only: false },
        Case {
            template: "printf '[%s]' \"${UNSET_X:-{}}\"",
            expect: |v| {
                (!v.contains('\'') && !v.contains("<(") && !v.contains(">(")).then(|| format!("[{v}]"))
            },
            bash_only: false,
        },
        Case { template: "printf '[%s]' ${UNSET_X:-{}}", expect: bracket, bash_only: false },
        Case { template: "printf '[%s]' \"${UNSET_X:-'{}'}\"", expect: |_| None, bash_only: false },
        Case {
            template: "echo hi # {} 'quote\nprintf '[%s]' {}",
            expect: |v| Some(format!("hi\n[{v}]")),
            bash_only: false,
        },
        Case {
            template: "cat <<EOF\n[{}]\nEOF\nprintf '[%s]' {}",
            expect: |v| (!v.contains('\n')).then(|| format!("[{v}]\n[{v}]")),
            bash_only: false,
        },
        Case {
            template: "cat <<'EOF'\n[{}]\nEOF\n",
            expect: |v| (!v.contains('\n')).then(|| format!("[{v}]\n")),
            bash_only: false,
        },
        Case {
            template: "cat <<-\"EOF\" && printf '[%s]' {}\n\t{}\n\tEOF\n",
            // `<<-` removes the tabs a body line starts with, the value's own too.
            expect: |v| {
                let line = v.trim_start_matches('\t');
                (!v.contains('\n') && line != "EOF").then(|| format!("{line}\n[{v}]"))
            },
            bash_only: false,
        },
        Case {
            template: "printf '[%s]' $(( 1 + 1 )) {}",
            expect: |v| Some(format!("[2][{v}]")),
            bash_only: false,
        },
    ]
}

fn render(template: &str, value: &str, dialect: Dialect) -> Result<String, ShellError> {
    let mut t = CommandText::new(dialect);
    let mut parts = template.split("{}").peekable();
    while let Some(p) = parts.next() {
        t.push_text(p)?;
        if parts.peek().is_some() {
            t.push_value("input `v`", value)?;
        }
    }
    t.finish()
}

#[test]
fn values_stay_literal_in_every_context_for_bash_and_dash() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases() {
        for value in HOSTILE {
            let text = render(case.template, value, Dialect::Sh);
            let expected = (case.expect)(value);
            let (text, expected) = match (text, expected) {
                (Ok(t), Some(e)) => (t, e),
                (Err(_), None) => continue,
                (t, e) => {
                    failures
                        .push(format!("{:?} with {value:?}: rendered {t:?}, expected {e:?}", case.template));
                    continue;
                }
            };
            let shells: &[&str] = if case.bash_only { &["bash"] } else { &["bash", "dash"] };
            for shell in shells {
                let out = std::process::Command::new(shell)
                    .arg("-c")
                    .arg(&text)
                    .current_dir(dir.path())
                    .env("HOME", "/home-of-test")
                    .output()
                    .unwrap();
                let got = String::from_utf8_lossy(&out.stdout);
                if got != expected || !out.status.success() {
                    failures.push(format!(
                        "{shell} {:?} with {value:?}: ran {text:?}, printed {got:?} (stderr {:?}), expected {expected:?}",
                        case.template,
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
    }
    assert!(!dir.path().join("MARK").exists(), "a value ran a command");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Values drawn from the characters shells treat specially (a fixed xorshift sequence, so a
/// failure repeats).
fn random_values(n: usize) -> Vec<String> {
    const ALPHABET: &[char] = &[
        '\'', '"', '\\', '$', '`', '{', '}', '(', ')', '#', ';', '&', '|', '<', '>', ' ', '\n', '\t', 'a',
        'E', '*', '~', '!', '-', '=',
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = (next() % 12) as usize;
            (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect()
        })
        .collect()
}

#[test]
fn random_values_stay_literal_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let values = random_values(200);
    for case in cases() {
        for value in &values {
            let (Ok(text), Some(expected)) =
                (render(case.template, value, Dialect::Sh), (case.expect)(value))
            else {
                continue;
            };
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(&text)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                expected,
                "{:?} with {value:?}: ran {text:?}",
                case.template
            );
        }
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "a value wrote a file");
}

#[test]
fn ordinary_values_are_written_as_they_are() {
    assert_eq!(
        render("python t.py --lr {} --out {}/x", "0.5", Dialect::Sh).unwrap(),
        "python t.py --lr 0.5 --out 0.5/x"
    );
    assert_eq!(render("a \"{}\"", "/tmp/p-1_2", Dialect::Sh).unwrap(), "a \"/tmp/p-1_2\"");
    assert_eq!(render("a {}", "x y", Dialect::Sh).unwrap(), "a 'x y'");
    assert_eq!(render("a {}", "", Dialect::Sh).unwrap(), "a ''");
}

#[test]
fn values_split_as_one_word_in_program_arguments() {
    for value in HOSTILE {
        for (template, expect) in [
            ("--a {} --b", vec!["--a".to_string(), value.to_string(), "--b".to_string()]),
            ("--a \"{}\" x", vec!["--a".to_string(), value.to_string(), "x".to_string()]),
            ("--a 'p {}' x", vec!["--a".to_string(), format!("p {value}"), "x".to_string()]),
            ("# {}", vec!["#".to_string(), value.to_string()]),
        ] {
            let text = render(template, value, Dialect::Words).unwrap();
            assert_eq!(crate::parallel::split_words(&text), expect, "{template:?} with {value:?}: {text:?}");
        }
    }
}

#[test]
fn unsafe_places_are_refused_with_the_placeholder_named() {
    let err = render("printf %s {}", "a\0b", Dialect::Sh).unwrap_err();
    assert_eq!(err, ShellError::Nul { what: "input `v`".to_string(), at: 1 });
    assert!(err.to_string().contains("input `v`"), "{err}");
    assert!(matches!(render("cat <<{}\nx\n", "EOF", Dialect::Sh), Err(ShellError::HeredocDelimiter { .. })));
    assert!(matches!(render("cat << {}\nx\n", "EOF", Dialect::Sh), Err(ShellError::HeredocDelimiter { .. })));
    assert!(matches!(
        render("cat <<E\n{}\nE\n", "a\nE", Dialect::Sh),
        Err(ShellError::HeredocLineBreak { .. })
    ));
    assert!(matches!(render("cat <<E\n{}\nE\n", "E", Dialect::Sh), Err(ShellError::HeredocEnded { .. })));
    assert!(matches!(
        render("echo `echo \\`echo {}\\``", "x y", Dialect::Sh),
        Err(ShellError::Backquotes { .. })
    ));
    // A here-string is no here-document.
    assert_eq!(render("cat <<<{}", "a b", Dialect::Sh).unwrap(), "cat <<<'a b'");
}
