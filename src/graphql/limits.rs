//! The per-document budget, checked before anything executes, on every transport (`POST`,
//! `GET`, multipart and every operation over `/graphql/ws`).
//!
//! **Cost model.** Scalars and enums cost 0, an object field costs 1 plus its selection,
//! and a list or connection costs 1 + its size × the cost of its selection. The size of
//! a field with `first`/`last` is that argument (or its default when absent); a list
//! without those arguments is assumed to hold [`QueryLimits::assumed_list_size`] items.
//! Inside a connection, `edges` and `nodes` are the page itself and are not multiplied
//! again. Introspection (`__schema`, `__type`, `__typename`) costs nothing. With several
//! operations in one document, the dearest counts.
//!
//! Besides the cost, a document is refused when it is longer than `max_bytes`, has more
//! than `max_tokens` lexical tokens (checked before parsing), nests fields deeper than
//! `max_depth`, uses more than `max_aliases` aliases, selects more than `max_root_fields`
//! fields at the root of an operation, or puts more than `max_directives` directives on
//! one field. Each refusal is `QUERY_TOO_COMPLEX` (400) with `extensions.cost =
//! { requested, maximum }` whenever the cost is over its maximum.
//!
//! The same pass checks every string a client sends in an argument or input field (after
//! substituting variables): a NUL character is `BAD_USER_INPUT` on the innermost field
//! name, with DRF's `Null characters are not allowed.`, and no string may be longer than
//! `max_string_chars` characters.

mod tokens;

use tokens::count_tokens;

use std::collections::HashSet;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    Name, Positioned, Request, SchemaEnv, ServerError, ServerResult, Value, Variables,
};

use crate::error::{AppError, FieldErrors};

/// IBM's GraphQL cost directive `@listSize` on a list or connection field, so clients and
/// gateways can read the cost model from the SDL. Scalars cost 0 and objects 1, which are
/// the specification's default weights, so no `@cost` is needed.
#[async_graphql::TypeDirective(name = "listSize", location = "FieldDefinition")]
pub fn list_size(
    assumed_size: Option<i32>, slicing_arguments: Option<Vec<String>>,
    sized_fields: Option<Vec<String>>, require_one_slicing_argument: Option<bool>,
) {
}

/// `["first", "last"]`, a connection's slicing arguments (for `@listSize`).
pub fn first_or_last() -> Option<Vec<String>> {
    Some(vec!["first".to_owned(), "last".to_owned()])
}

/// `["first"]`, a bounded list's slicing argument (for `@listSize`).
pub fn first_only() -> Option<Vec<String>> {
    Some(vec!["first".to_owned()])
}

/// `["edges", "nodes"]`: the fields of a connection that hold the page (for `@listSize`).
pub fn page_fields() -> Option<Vec<String>> {
    Some(vec!["edges".to_owned(), "nodes".to_owned()])
}

/// The documented assumed size of a list without slicing arguments (for `@listSize`).
pub fn assumed() -> Option<i32> {
    i32::try_from(QueryLimits::default().assumed_list_size).ok()
}

/// DRF's message for a NUL character in a string.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// The budget of one GraphQL document (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    pub max_cost: u64,
    pub max_depth: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    pub max_bytes: usize,
    pub max_tokens: usize,
    pub max_string_chars: usize,
    /// Assumed length of a list field without `first`/`last`.
    pub assumed_list_size: u64,
}

impl QueryLimits {
    /// Whether a document is small enough to parse at all (bytes, then tokens): what the
    /// transport checks before it parses a document itself (the GET mutation check, the
    /// public-read rule). A larger one is refused by the budget at execution.
    pub fn admits(&self, query: &str) -> bool {
        self.size_verdict(query).is_ok()
    }

    /// The size caps (bytes, then tokens), checked before a document is parsed.
    fn size_verdict(&self, query: &str) -> ServerResult<()> {
        if query.len() > self.max_bytes {
            return Err(too_complex(
                format!(
                    "The query is {} bytes long; the maximum is {}.",
                    query.len(),
                    self.max_bytes
                ),
                None,
            ));
        }
        if count_tokens(query, self.max_tokens) > self.max_tokens {
            return Err(too_complex(
                format!(
                    "The query has more than {} tokens; the maximum is {}.",
                    self.max_tokens, self.max_tokens
                ),
                None,
            ));
        }
        Ok(())
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_cost: 5_000,
            max_depth: 16,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 4,
            max_bytes: 32 * 1024,
            max_tokens: 5_000,
            max_string_chars: 10_000,
            assumed_list_size: 20,
        }
    }
}

/// The budget check that every transport runs on a request before executing it (see
/// `AppState::admit`). It parses the document once, refuses it when it is over the
/// budget, and hands it to execution already parsed. It is not a schema extension: with
/// any extension installed, async-graphql routes every field of every response through
/// the extension chain, a cost paid per field.
pub struct Admission {
    limits: QueryLimits,
    /// The schema's types, which the cost model reads.
    schema: SchemaEnv,
}

impl Admission {
    pub fn new(limits: QueryLimits, schema: SchemaEnv) -> Self {
        Self { limits, schema }
    }

    /// Checks `request` against the budget. `parsed`: the document, when the transport
    /// has already parsed it (only after [`QueryLimits::admits`]). Returns whether the document only reads (every operation a
    /// query). A document that does not parse, or nests more deeply than async-graphql's
    /// own recursion limit, is left to execution, which refuses it with its own error.
    pub fn admit(
        &self, request: &mut Request, parsed: Option<ExecutableDocument>,
    ) -> ServerResult<bool> {
        let limits = &self.limits;
        let query = &request.query;
        // A document the transport parsed itself passed the size caps first (`admits`).
        if parsed.is_none() {
            limits.size_verdict(query)?;
        }
        let Some(document) = parsed.or_else(|| async_graphql::parser::parse_query(query).ok())
        else {
            return Ok(false);
        };
        if nests_deeper_than(&document, RECURSION_LIMIT) {
            return Ok(false);
        }
        let measure = Measure::of(&document, &self.schema.registry, &request.variables, limits);
        measure.verdict(limits)?;
        let reads_only = document
            .operations
            .iter()
            .all(|(_, operation)| operation.node.ty == OperationType::Query);
        request.set_parsed_query(document);
        Ok(reads_only)
    }
}

/// async-graphql's default limit on the nesting of a document's selections, which it
/// checks after parsing; the budget walks only documents within it.
const RECURSION_LIMIT: usize = 32;

/// Whether `document` nests selections more deeply than `max`, counted as async-graphql
/// counts them (a field with a selection, a fragment spread, an inline fragment: one
/// level each), without going more than `max + 1` levels deep itself.
fn nests_deeper_than(document: &ExecutableDocument, max: usize) -> bool {
    fn deeper(document: &ExecutableDocument, set: &SelectionSet, depth: usize, max: usize) -> bool {
        if depth > max {
            return true;
        }
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                let inner = &field.node.selection_set.node;
                !inner.items.is_empty() && deeper(document, inner, depth + 1, max)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| deeper(document, &f.node.selection_set.node, depth + 1, max)),
            Selection::InlineFragment(inline) => {
                deeper(document, &inline.node.selection_set.node, depth + 1, max)
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| deeper(document, &operation.node.selection_set.node, 0, max))
}

fn too_complex(message: String, cost: Option<(u64, u64)>) -> ServerError {
    let error = AppError::TooComplex { message: message.into(), cost };
    async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default())
}

/// What one pass over a document found.
#[derive(Debug, Default)]
struct Measure {
    cost: u64,
    depth: usize,
    aliases: usize,
    root_fields: usize,
    directives: usize,
    strings: FieldErrors,
}

impl Measure {
    fn of(
        document: &ExecutableDocument, registry: &Registry, variables: &Variables,
        limits: &QueryLimits,
    ) -> Self {
        let mut walker = Walker {
            document,
            registry,
            variables,
            limits,
            measure: Measure::default(),
            active_fragments: HashSet::new(),
        };
        let operations: Vec<&Positioned<OperationDefinition>> = match &document.operations {
            DocumentOperations::Single(operation) => vec![operation],
            DocumentOperations::Multiple(map) => map.values().collect(),
        };
        for operation in operations {
            let root = match operation.node.ty {
                async_graphql::parser::types::OperationType::Query => Some(&registry.query_type),
                async_graphql::parser::types::OperationType::Mutation => {
                    registry.mutation_type.as_ref()
                }
                async_graphql::parser::types::OperationType::Subscription => {
                    registry.subscription_type.as_ref()
                }
            };
            let Some(root) = root else { continue };
            let mut root_fields = 0;
            let cost = walker.selection_set(
                &operation.node.selection_set.node,
                root,
                1,
                Some(&mut root_fields),
            );
            walker.measure.cost = walker.measure.cost.max(cost);
            walker.measure.root_fields = walker.measure.root_fields.max(root_fields);
        }
        for fragment in document.fragments.values() {
            walker.count_aliases(&fragment.node.selection_set.node);
        }
        if let DocumentOperations::Single(op) = &document.operations {
            walker.count_aliases(&op.node.selection_set.node);
        } else if let DocumentOperations::Multiple(map) = &document.operations {
            for op in map.values() {
                walker.count_aliases(&op.node.selection_set.node);
            }
        }
        walker.measure
    }

    /// The first cap that trips, as `QUERY_TOO_COMPLEX`; then the string checks.
    fn verdict(self, limits: &QueryLimits) -> ServerResult<()> {
        let cost = (self.cost > limits.max_cost).then_some((self.cost, limits.max_cost));
        let tripped = if self.depth > limits.max_depth {
            Some(format!(
                "The query is nested {} levels deep; the maximum is {}.",
                self.depth, limits.max_depth
            ))
        } else if self.aliases > limits.max_aliases {
            Some(format!(
                "The query uses {} aliases; the maximum is {}.",
                self.aliases, limits.max_aliases
            ))
        } else if self.root_fields > limits.max_root_fields {
            Some(format!(
                "The operation selects {} root fields; the maximum is {}.",
                self.root_fields, limits.max_root_fields
            ))
        } else if self.directives > limits.max_directives {
            Some(format!(
                "A field has {} directives; the maximum is {}.",
                self.directives, limits.max_directives
            ))
        } else {
            cost.map(|(requested, maximum)| {
                format!("The query costs {requested}; the maximum is {maximum}.")
            })
        };
        if let Some(message) = tripped {
            return Err(too_complex(message, cost));
        }
        if !self.strings.is_empty() {
            return Err(async_graphql::Error::from(AppError::BadUserInput(self.strings))
                .into_server_error(async_graphql::Pos::default()));
        }
        Ok(())
    }
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    registry: &'a Registry,
    variables: &'a Variables,
    limits: &'a QueryLimits,
    measure: Measure,
    /// Fragments being expanded (a cycle is invalid and reported by validation later).
    active_fragments: HashSet<Name>,
}

impl Walker<'_> {
    /// The cost of `set` on `parent` at nesting `depth`; counts the root fields when asked.
    fn selection_set(
        &mut self, set: &SelectionSet, parent: &str, depth: usize,
        mut root_fields: Option<&mut usize>,
    ) -> u64 {
        let mut total: u64 = 0;
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    if let Some(count) = root_fields.as_deref_mut() {
                        *count += 1;
                    }
                    self.field(&field.node, parent, depth)
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(spread.node.directives.len());
                    let name = &spread.node.fragment_name.node;
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if !self.active_fragments.insert(name.clone()) {
                        continue;
                    }
                    let cost =
                        self.fragment(&fragment.node, parent, depth, root_fields.as_deref_mut());
                    self.active_fragments.remove(name);
                    cost
                }
                Selection::InlineFragment(inline) => {
                    self.directives(inline.node.directives.len());
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(
                        &inline.node.selection_set.node,
                        on,
                        depth,
                        root_fields.as_deref_mut(),
                    )
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn fragment(
        &mut self, fragment: &FragmentDefinition, parent: &str, depth: usize,
        root_fields: Option<&mut usize>,
    ) -> u64 {
        self.directives(fragment.directives.len());
        let on = fragment.type_condition.node.on.node.as_str();
        let on = if self.registry.types.contains_key(on) { on } else { parent };
        self.selection_set(&fragment.selection_set.node, on, depth, root_fields)
    }

    fn field(
        &mut self, field: &async_graphql::parser::types::Field, parent: &str, depth: usize,
    ) -> u64 {
        self.measure.depth = self.measure.depth.max(depth);
        self.directives(field.directives.len());
        let name = field.name.node.as_str();
        for (arg_name, value) in &field.arguments {
            if let Ok(value) = value.node.clone().into_const_with(|var| self.variable(&var)) {
                self.check_strings(arg_name.node.as_str(), &value);
            }
        }
        if name.starts_with("__") {
            return 0;
        }
        let meta = self.registry.types.get(parent).and_then(|t| t.field_by_name(name));
        let Some(meta) = meta else {
            // Unknown field: validation reports it; measure the rest anyway.
            return self.selection_set(&field.selection_set.node, parent, depth + 1, None);
        };
        let type_name = MetaTypeName::concrete_typename(&meta.ty);
        let leaf = self.registry.types.get(type_name).is_none_or(MetaType::is_leaf);
        if leaf {
            return 0;
        }
        let children = self.selection_set(&field.selection_set.node, type_name, depth + 1, None);
        let sliced = meta.args.contains_key("first") || meta.args.contains_key("last");
        let is_list = is_list_type(&meta.ty);
        let page_itself = parent.ends_with("Connection") && matches!(name, "edges" | "nodes");
        let size = if sliced {
            self.page_size(field, meta)
        } else if is_list && !page_itself {
            self.limits.assumed_list_size
        } else {
            1
        };
        size.saturating_mul(children).saturating_add(1)
    }

    /// `last` when given, else `first`, else its default (negative counts as 0).
    fn page_size(
        &self, field: &async_graphql::parser::types::Field,
        meta: &async_graphql::registry::MetaField,
    ) -> u64 {
        let given = |name: &str| {
            field
                .arguments
                .iter()
                .find(|(n, _)| n.node.as_str() == name)
                .and_then(|(_, v)| v.node.clone().into_const_with(|var| self.variable(&var)).ok())
                .and_then(|v| match v {
                    Value::Number(n) => n.as_i64(),
                    _ => None,
                })
        };
        let default = |name: &str| {
            meta.args
                .get(name)
                .and_then(|a| a.default_value.as_deref())
                .and_then(|d| d.parse::<i64>().ok())
        };
        let size = given("last")
            .or_else(|| given("first"))
            .or_else(|| default("first"))
            .or_else(|| default("last"))
            .unwrap_or(i64::try_from(self.limits.assumed_list_size).unwrap_or(i64::MAX));
        u64::try_from(size).unwrap_or(0)
    }

    fn variable(&self, name: &Name) -> Result<Value, ()> {
        Ok(self.variables.get(name).cloned().unwrap_or(Value::Null))
    }

    fn directives(&mut self, count: usize) {
        self.measure.directives = self.measure.directives.max(count);
    }

    fn count_aliases(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if field.node.alias.is_some() {
                        self.measure.aliases += 1;
                    }
                    self.count_aliases(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    self.count_aliases(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// NUL characters and over-long strings, reported on the innermost field name.
    fn check_strings(&mut self, name: &str, value: &Value) {
        match value {
            Value::String(text) => {
                if text.contains('\0') {
                    if !self.measure.strings.has(name) {
                        self.measure.strings.add(name, NULL_CHARACTERS);
                    }
                } else if text.chars().count() > self.limits.max_string_chars
                    && !self.measure.strings.has(name)
                {
                    self.measure.strings.add(
                        name,
                        format!(
                            "Ensure this field has no more than {} characters.",
                            self.limits.max_string_chars
                        ),
                    );
                }
            }
            Value::List(items) => {
                for item in items {
                    self.check_strings(name, item);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    self.check_strings(key.as_str(), item);
                }
            }
            _ => {}
        }
    }
}

fn is_list_type(ty: &str) -> bool {
    match MetaTypeName::create(ty) {
        MetaTypeName::NonNull(inner) => is_list_type(inner),
        MetaTypeName::List(_) => true,
        MetaTypeName::Named(_) => false,
    }
}
