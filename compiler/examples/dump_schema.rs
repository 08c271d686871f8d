//! Prints every generated JSON schema (for a quick look; `sluice schema` writes them).

fn main() {
    for s in sluice_compiler::schema::all() {
        println!("== {}\n{}", s.file_name, s.json);
    }
}
