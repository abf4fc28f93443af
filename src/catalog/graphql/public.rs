//! Which documents are public catalogue reads, the same for every anonymous client and
//! changed only by catalogue writes: what the catalogue cache and HTTP caches may keep.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};

/// The root fields of public catalogue reads.
const PUBLIC_ROOTS: &[&str] = &[
    "products",
    "product",
    "collections",
    "collection",
    "reviews",
    "review",
    "productImages",
    "productImage",
    "tags",
    "promotions",
    "promotion",
    "__typename",
];

/// Fields that change without a catalogue write: a product's available inventory moves
/// with every cart hold and with every hold that expires, and its likes with every like.
const VOLATILE: &[&str] = &["availableInventory", "likesCount"];

/// Whether every operation of `document` is a query of public roots that selects no
/// volatile field (through fragments too).
pub fn is_public_read(document: &ExecutableDocument) -> bool {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node],
        DocumentOperations::Multiple(map) => map.values().map(|o| &o.node).collect(),
    };
    operations.iter().all(|operation| {
        operation.ty == OperationType::Query
            && fields(document, &operation.selection_set.node, 0).all(|(depth, name)| {
                if depth == 0 { PUBLIC_ROOTS.contains(&name) } else { !VOLATILE.contains(&name) }
            })
    })
}

/// Every field name selected under `set`, with its depth (0: the set's own fields),
/// through fragment spreads and inline fragments. Fragment cycles are refused by
/// validation; the walk still stops at depth 64, and a cut walk or an unknown fragment
/// yields the root-level name `""`, which no rule accepts.
fn fields<'a>(
    document: &'a ExecutableDocument, set: &'a SelectionSet, depth: usize,
) -> Box<dyn Iterator<Item = (usize, &'a str)> + 'a> {
    if depth > 64 {
        return Box::new(std::iter::once((0, "")));
    }
    Box::new(set.items.iter().flat_map(
        move |selection| -> Box<dyn Iterator<Item = (usize, &'a str)> + 'a> {
            match &selection.node {
                Selection::Field(field) => {
                    Box::new(std::iter::once((depth, field.node.name.node.as_str())).chain(fields(
                        document,
                        &field.node.selection_set.node,
                        depth + 1,
                    )))
                }
                Selection::InlineFragment(fragment) => {
                    fields(document, &fragment.node.selection_set.node, depth)
                }
                Selection::FragmentSpread(spread) => match document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                {
                    Some(fragment) => fields(document, &fragment.node.selection_set.node, depth),
                    None => Box::new(std::iter::once((0, ""))),
                },
            }
        },
    ))
}
