fn main() {
    for s in sluice_compiler::schema::all() {
        println!("== {}\n{}", s.file_name, s.json);
    }
}
