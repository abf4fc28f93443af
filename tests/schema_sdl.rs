//! `schema.graphql` must match the code. Regenerate with
//! `cargo run -- export-schema > schema.graphql` (or `UPDATE_SCHEMA=1 cargo test --test schema_sdl`).

#[test]
fn schema_graphql_is_up_to_date() {
    let sdl = storefront::schema::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default().replace("\r\n", "\n");
    assert!(
        committed == sdl,
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`"
    );
}
