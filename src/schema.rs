//! Schema composition: one `Query` / `Mutation` / `Subscription` merged from the
//! domains, built once by [`build_schema`], which needs no database (so `export-schema`
//! and the SDL test run anywhere). Like `app` and `tasks`, it sits above the domains.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::graphql::limits::{Limits, QueryLimits};

use crate::audit::graphql::AuditQuery;
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
    AuditQuery,
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

/// The schema builder with the default budget and introspection on, but no data attached.
pub fn build_schema() -> SchemaBuilder<Query, Mutation, Subscription> {
    build_schema_with(&QueryLimits::default(), true)
}

/// The schema builder with a budget (checked before validation, see `crate::graphql::limits`) and
/// introspection switched on or off.
pub fn build_schema_with(
    query_limits: &QueryLimits,
    introspection: bool,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .extension(Limits(std::sync::Arc::new(query_limits.clone())))
    .extension(crate::graphql::loaders::ReadCache)
    // A backstop behind the budget's own depth check (which runs first).
    .limit_depth(query_limits.max_depth);
    if introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The SDL as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().finish().sdl()
}
