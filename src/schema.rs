//! Schema composition: one `Query` / `Mutation` / `Subscription` merged from the
//! domains, built once by [`build_schema`], which needs no database (so `export-schema`
//! and the SDL test run anywhere). Like `app` and `tasks`, it sits above the domains.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    MergedObject, MergedSubscription, Schema, SchemaBuilder, SchemaEnv, ServerResult, Variables,
};
use futures_util::FutureExt;

use crate::graphql::limits::QueryLimits;

use crate::audit::graphql::AuditQuery;
use crate::auth::graphql::{AuthMutation, AuthQuery};
use crate::carts::graphql::{CartsMutation, CartsQuery};
use crate::catalog::graphql::{
    CatalogAdminMutation, CatalogMutation, CatalogQuery, SocialMutation, SocialQuery,
};
use crate::customers::graphql::{CustomersMutation, CustomersQuery};
use crate::images::graphql::{ImagesMutation, ImagesQuery};
use crate::jobs::graphql::{JobsMutation, JobsQuery};
use crate::orders::graphql::{OrdersMutation, OrdersQuery, OrdersSubscription};
use crate::promotions::graphql::{PromotionsMutation, PromotionsQuery};
use crate::reports::graphql::ReportsQuery;
use crate::tags::graphql::{TagsMutation, TagsQuery};

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
    TagsQuery,
    SocialQuery,
    PromotionsQuery,
    ReportsQuery,
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
    TagsMutation,
    SocialMutation,
    PromotionsMutation,
    CatalogAdminMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(OrdersSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema builder with the default budget and introspection on, but no data attached.
pub fn build_schema() -> SchemaBuilder<Query, Mutation, Subscription> {
    build_schema_with(&QueryLimits::default(), true)
}

/// The schema builder with introspection switched on or off; `query_limits.max_depth` is
/// a backstop behind the budget's own depth check (`crate::graphql::limits`), which the
/// transports run before execution.
pub fn build_schema_with(
    query_limits: &QueryLimits, introspection: bool,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(query_limits.max_depth);
    if introspection { builder } else { builder.disable_introspection() }
}

/// The SDL as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().finish().sdl()
}

/// The schema's types, as the budget's cost model reads them. async-graphql shows its
/// registry only to extensions, and the service's schema runs without any (an extension
/// costs every field of every response), so a probe schema of the same types, with one
/// extension that keeps what it is shown, lends it once.
pub fn schema_env() -> SchemaEnv {
    type Slot = Arc<Mutex<Option<SchemaEnv>>>;
    struct Probe(Slot);
    impl ExtensionFactory for Probe {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(Probe(self.0.clone()))
        }
    }
    #[async_graphql::async_trait::async_trait]
    impl Extension for Probe {
        async fn parse_query(
            &self, ctx: &ExtensionContext<'_>, query: &str, variables: &Variables,
            next: NextParseQuery<'_>,
        ) -> ServerResult<ExecutableDocument> {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(ctx.schema_env.clone());
            next.run(ctx, query, variables).await
        }
    }
    static ENV: std::sync::OnceLock<SchemaEnv> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let slot = Slot::default();
        let probe = build_schema().extension(Probe(slot.clone())).finish();
        // `{ __typename }` never waits, so it completes on its first poll.
        let _ = probe.execute("{ __typename }").now_or_never();
        let env = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        env.unwrap_or_else(|| unreachable!("the probe's parse_query ran"))
    })
    .clone()
}
