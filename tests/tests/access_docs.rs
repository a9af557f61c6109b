//! `docs/access.md` is the access tables the services enforce, not a description of them:
//! this test renders every service's table and fails when the document says anything else.
//! `GIGSHIELD_UPDATE_DOCS=1 cargo test -p gigshield-tests --test access_docs` rewrites it.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

use gigshield_kit::access::AccessTable;

const MARKER: &str =
    "<!-- Generated from each service's domain/access.rs; do not edit below. -->\n";

const TABLES: [AccessTable; 5] = [
    gigshield_enrollment::domain::access::TABLE,
    gigshield_premium::domain::access::TABLE,
    gigshield_incident::domain::access::TABLE,
    gigshield_claims::domain::access::TABLE,
    gigshield_fund::domain::access::TABLE,
];

fn rendered() -> String {
    TABLES
        .iter()
        .map(|t| t.markdown())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn docs_access_md_is_the_enforced_tables() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/access.md");
    let text = std::fs::read_to_string(path).expect("docs/access.md");
    let (intro, generated) = text
        .split_once(MARKER)
        .expect("docs/access.md keeps the generated-section marker");
    let expected = rendered();
    if std::env::var_os("GIGSHIELD_UPDATE_DOCS").is_some() {
        std::fs::write(path, format!("{intro}{MARKER}\n{expected}")).expect("write docs");
        return;
    }
    assert_eq!(
        generated.trim(),
        expected.trim(),
        "docs/access.md is out of date: rerun with GIGSHIELD_UPDATE_DOCS=1"
    );
}

#[test]
fn every_rpc_of_every_service_has_a_documented_row() {
    let text = rendered();
    for table in TABLES {
        for rule in table.rules {
            assert!(!rule.grants.is_empty(), "{} has no grant", rule.rpc);
            assert!(!rule.note.is_empty(), "{} has no note", rule.rpc);
            assert!(text.contains(&format!("| `{}` |", rule.rpc)));
        }
    }
}
