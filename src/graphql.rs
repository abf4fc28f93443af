//! Schema composition: one `Query` / `Mutation` merged from the domains, built once by
//! [`build_schema`], which needs no database (so `export-schema` and the SDL test run
//! anywhere).

pub mod context;
pub mod error_codes;
pub mod guards;
pub mod loaders;
pub mod pagination;
pub mod scalars;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::auth::graphql::{AuthMutation, AuthQuery};
use crate::catalog::graphql::{CatalogMutation, CatalogQuery};
use crate::customers::graphql::{CustomersMutation, CustomersQuery};

#[derive(MergedObject, Default)]
pub struct Query(CatalogQuery, AuthQuery, CustomersQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(CatalogMutation, AuthMutation, CustomersMutation);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema builder with every extension and limit, but no data attached.
pub fn build_schema() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .extension(error_codes::ErrorCodes)
        .limit_depth(16)
        .limit_complexity(5_000)
}

/// The SDL as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().finish().sdl()
}
