//! Schema composition: one `Query` / `Mutation` merged from the domains, built once by
//! [`build_schema`], which needs no database (so `export-schema` and the SDL test run
//! anywhere).

pub mod context;
pub mod error_codes;
pub mod guards;
pub mod loaders;
pub mod pagination;
pub mod scalars;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::auth::graphql::{AuthMutation, AuthQuery};
use crate::carts::graphql::{CartsMutation, CartsQuery};
use crate::catalog::graphql::{CatalogMutation, CatalogQuery};
use crate::customers::graphql::{CustomersMutation, CustomersQuery};
use crate::images::graphql::{ImagesMutation, ImagesQuery};
use crate::jobs::graphql::{JobsMutation, JobsQuery};
use crate::orders::graphql::{OrdersMutation, OrdersQuery, OrdersSubscription};

#[derive(MergedObject, Default)]
pub struct Query(
    CatalogQuery,
    AuthQuery,
    CustomersQuery,
    CartsQuery,
    OrdersQuery,
    ImagesQuery,
    JobsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    CatalogMutation,
    AuthMutation,
    CustomersMutation,
    CartsMutation,
    OrdersMutation,
    ImagesMutation,
    JobsMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(OrdersSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema builder with every extension and limit, but no data attached.
pub fn build_schema() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .extension(error_codes::ErrorCodes)
    .limit_depth(16)
    .limit_complexity(5_000)
}

/// The SDL as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().finish().sdl()
}
