//! The orders API (checkout, scoped reads, staff changes) and the order subscriptions.

use crate::auth::ViewerExt;
use crate::customers::loaders::CustomerById;
use crate::invoices::graphql::Invoice;
use crate::orders::loaders::ItemsByOrderId;
use async_graphql::{ComplexObject, Context, Enum, Lookahead, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use rust_decimal::Decimal;
use storefront_macros::paged;

use super::events::{OrderEvent, OrderEventKind, OrderEvents};
use super::model::{OrderItemRow, OrderRow};
use super::repo::{self, Scope};
use crate::auth::guards::{Authenticated, Staff};
use crate::catalog::graphql::{Product, product_of};
use crate::catalog::loaders::ProductById;
use crate::customers::graphql::Customer;
use crate::db::DbPool;
use crate::db::pagination::read_page;
use crate::error::{AppError, AppResult, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::{LoadRequired, Selected, load_or_default, prime};
use crate::graphql::pagination::{self, Connection, Counter, PageArgs, PageRequest};
use crate::graphql::scalars::{Money, Uuid};

/// Payment status (stored as `P`, `C`, `F`).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PaymentStatus {
    Pending,
    Complete,
    Failed,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "P",
            Self::Complete => "C",
            Self::Failed => "F",
        }
    }

    fn from_code(code: &str) -> Self {
        match code {
            "C" => Self::Complete,
            "F" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// Primes what the fields selected on the orders `rows` will ask for (their customers,
/// their lines and the lines' products), one statement each, so a page of orders resolves
/// without batch-window waits.
async fn prime_order_relations<'r>(
    ctx: &Context<'_>, orders: &[Lookahead<'_>], rows: impl Iterator<Item = &'r OrderRow> + Clone,
) -> AppResult<()> {
    let selected = Selected(orders);
    let customers = selected.keys("customer", || rows.clone().map(|r| r.customer_id).collect());
    let ids = selected.keys("items", || rows.map(|r| r.id).collect());
    let (_, items) = tokio::try_join!(
        prime::<CustomerById, _>(ctx, &customers),
        prime::<ItemsByOrderId, _>(ctx, &ids),
    )?;
    let products =
        selected.keys("items.product", || items.values().flatten().map(|i| i.product_id).collect());
    prime::<ProductById, _>(ctx, &products).await?;
    Ok(())
}

/// A placed order.
#[derive(Clone)]
pub struct Order(pub OrderRow);

impl Order {
    async fn item_rows(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItemRow>> {
        load_or_default::<ItemsByOrderId, _>(ctx, self.0.id).await
    }
}

#[Object]
impl Order {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn customer_id(&self) -> i64 {
        self.0.customer_id
    }

    async fn customer(&self, ctx: &Context<'_>) -> AppResult<Customer> {
        ctx.loader::<CustomerById>()?.load_required(self.0.customer_id).await
    }

    async fn placed_at(&self) -> DateTime<Utc> {
        self.0.placed_at
    }

    async fn payment_status(&self) -> PaymentStatus {
        PaymentStatus::from_code(&self.0.payment_status)
    }

    #[graphql(directive = crate::graphql::limits::list_size::apply(crate::graphql::limits::assumed(), None, None, None))]
    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItem>> {
        self.item_rows(ctx).await
    }

    /// The invoice issued with the order (`null` only for an order placed by hand in the
    /// database).
    async fn invoice(&self, ctx: &Context<'_>) -> AppResult<Option<Invoice>> {
        crate::invoices::graphql::of_order(ctx, self.0.id).await
    }

    /// Σ unitPrice × quantity over the items (the prices paid).
    async fn total_price(&self, ctx: &Context<'_>) -> AppResult<Money> {
        let total = self
            .item_rows(ctx)
            .await?
            .iter()
            .map(|i| i.unit_price * Decimal::from(i.quantity))
            .sum();
        Ok(Money(total))
    }
}

/// One line of an order (the row is the API type).
pub type OrderItem = OrderItemRow;

#[ComplexObject]
impl OrderItemRow {
    async fn product(&self, ctx: &Context<'_>) -> AppResult<Product> {
        product_of(ctx, self.product_id).await
    }

    /// The product's price when the order was placed.
    #[graphql(name = "unitPrice")]
    async fn price_paid(&self) -> Money {
        Money(self.unit_price)
    }
}

const ORDER_ORDERING: &str = "PLACED_AT_DESC";

/// The signed-in staff member, as the actor of an audit entry.
fn actor_of(ctx: &Context<'_>) -> AppResult<crate::audit::model::Actor> {
    Ok(crate::audit::model::Actor {
        user_id: ctx.viewer()?.id(),
        request_id: ctx.request_id().map(str::to_owned),
    })
}

fn scope_of(ctx: &Context<'_>) -> AppResult<Scope> {
    let viewer = ctx.viewer()?;
    Ok(if viewer.is_staff() { Scope::All } else { Scope::User(viewer.id()) })
}

#[derive(Default)]
pub struct OrdersQuery;

#[paged]
#[Object]
impl OrdersQuery {
    /// Orders, newest first: staff see all, others their own.
    #[graphql(guard = "Authenticated")]
    async fn orders(
        &self, ctx: &Context<'_>, page: PageArgs,
        #[graphql(desc = "Only this customer's orders (staff only).")] customer_id: Option<i64>,
    ) -> AppResult<Connection<Order>> {
        let scope = match (scope_of(ctx)?, customer_id) {
            (repo::Scope::All, Some(id)) => repo::Scope::Customer(id),
            (_, Some(_)) => return Err(AppError::Forbidden),
            (scope, None) => scope,
        };
        let page = PageRequest::new(page, ORDER_ORDERING)?;
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &repo::OrdersIn(scope), &page).await?;
        drop(conn);
        let orders = rows.window.rows.iter().map(|(_, row)| row);
        prime_order_relations(ctx, &pagination::node_selections(ctx.look_ahead()), orders).await?;
        let counter =
            Counter::new(move |mut conn| async move { repo::count_orders(&mut conn, scope).await });
        Ok(Connection::from_keyset(rows, &page, ORDER_ORDERING, Order, counter))
    }

    /// One order (another user's is NOT_FOUND).
    #[graphql(guard = "Authenticated")]
    async fn order(&self, ctx: &Context<'_>, id: i64) -> AppResult<Order> {
        let scope = scope_of(ctx)?;
        let mut conn = ctx.conn().await?;
        repo::find_order(&mut conn, scope, id).await.or_not_found().map(Order)
    }
}

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Places an order from a cart (a guest cart or the caller's own): stock is taken,
    /// prices are kept, the cart is deleted, all at once. With an `idempotencyKey` (the
    /// caller's own, kept for a day), a retry after a lost answer gets the same order.
    #[graphql(guard = "Authenticated")]
    async fn create_order(
        &self, ctx: &Context<'_>, cart_id: Uuid, idempotency_key: Option<Uuid>,
    ) -> AppResult<Order> {
        let viewer = ctx.viewer()?;
        let mut conn = ctx.conn().await?;
        let placed = match idempotency_key {
            Some(key) => repo::place_order_once(&mut conn, cart_id.0, viewer.id(), key.0).await,
            None => repo::place_order(&mut conn, cart_id.0, viewer.id()).await,
        };
        Ok(Order(placed.map_err(|e| e.on_argument("cart", "cartId"))?))
    }

    /// Changes the payment status (staff only).
    #[graphql(guard = "Staff")]
    async fn update_order(
        &self, ctx: &Context<'_>, id: i64, payment_status: PaymentStatus,
    ) -> AppResult<Order> {
        let actor = actor_of(ctx)?;
        let mut conn = ctx.conn().await?;
        repo::update_payment_status(&mut conn, id, payment_status.code(), &actor)
            .await
            .or_not_found()
            .map(Order)
    }

    /// Replaces an order's lines (staff only, as the admin's inline editor): 1 to 10 lines,
    /// distinct products, each quantity at least 1. Stock moves by the difference in the
    /// same transaction, and the change is audit-logged.
    #[graphql(guard = "Staff")]
    async fn update_order_items(
        &self, ctx: &Context<'_>, order_id: i64, items: Vec<OrderItemInput>,
    ) -> AppResult<Order> {
        let lines = order_lines(&items)?;
        let actor = actor_of(ctx)?;
        let mut conn = ctx.conn().await?;
        let missing = crate::catalog::repo::missing_products(
            &mut conn,
            &lines.iter().map(|l| l.0).collect::<Vec<_>>(),
        )
        .await?;
        if let Some(id) = missing.first() {
            return Err(AppError::bad_input(
                "items",
                format!("Invalid pk \"{id}\" - object does not exist."),
            ));
        }
        repo::replace_items(&mut conn, order_id, &lines, &actor).await.or_not_found().map(Order)
    }

    /// Deletes an order with its items (staff only).
    #[graphql(guard = "Staff")]
    async fn delete_order(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let actor = actor_of(ctx)?;
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_order(&mut conn, id, &actor).await?)
    }
}

/// Order events as they happen, loaded fresh from the database.
fn order_stream(
    ctx: &Context<'_>, wanted: impl Fn(&OrderEvent) -> bool + Send + 'static,
) -> AppResult<BoxStream<'static, AppResult<Order>>> {
    let receiver = ctx
        .data::<OrderEvents>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("no order events in the schema")))?
        .subscribe();
    let pool: DbPool = ctx.pool()?.clone();
    Ok(futures_util::stream::unfold(
        (receiver, pool, wanted),
        |(mut receiver, pool, wanted)| async move {
            loop {
                let published = match receiver.recv().await {
                    Ok(published) => published,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                };
                if !wanted(&published.event) {
                    continue;
                }
                let order = published.order(&pool).await;
                match order {
                    Ok(Some(row)) => return Some((Ok(Order(row)), (receiver, pool, wanted))),
                    Ok(None) => continue,
                    Err(error) => return Some((Err(error), (receiver, pool, wanted))),
                }
            }
        },
    )
    .boxed())
}

#[derive(Default)]
pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// Every new order, on any instance of the service (staff only).
    #[graphql(guard = "Staff")]
    async fn order_created(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, AppResult<Order>>> {
        Ok(order_stream(ctx, |event| event.kind == OrderEventKind::Created)?)
    }

    /// The caller's orders when they are placed or their payment status changes.
    #[graphql(guard = "Authenticated")]
    async fn my_order_updated(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, AppResult<Order>>> {
        let user_id = ctx.viewer()?.id();
        Ok(order_stream(ctx, move |event| event.user_id == user_id)?)
    }
}

/// One line of `updateOrderItems`.
#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct OrderItemInput {
    pub product_id: i64,
    /// At least 1.
    pub quantity: i32,
}

/// The admin's inline rule (1 to 10 lines), distinct products and quantities of at least
/// 1, as `(product, quantity)`; `BAD_USER_INPUT` on `items` otherwise.
fn order_lines(items: &[OrderItemInput]) -> AppResult<Vec<(i64, i16)>> {
    let refuse = |message: &str| Err(AppError::bad_input("items", message.to_owned()));
    if items.is_empty() {
        return refuse("Ensure this field has at least 1 elements.");
    }
    if items.len() > 10 {
        return refuse("Ensure this field has no more than 10 elements.");
    }
    let mut lines: Vec<(i64, i16)> = Vec::with_capacity(items.len());
    for item in items {
        if item.quantity < 1 {
            return refuse("Ensure this value is greater than or equal to 1.");
        }
        let Ok(quantity) = i16::try_from(item.quantity) else {
            return refuse("Ensure this value is less than or equal to 32767.");
        };
        if lines.iter().any(|(p, _)| *p == item.product_id) {
            return refuse("Each product may appear on one line only.");
        }
        lines.push((item.product_id, quantity));
    }
    Ok(lines)
}
