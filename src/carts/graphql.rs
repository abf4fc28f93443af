//! The cart API (guest and owned carts, lines that add up, decrement).

use crate::auth::ViewerExt;
use crate::catalog::loaders::ProductById;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Object};
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use super::model::{CartItemRow, CartRow, Hold, HoldPolicy, MAX_QUANTITY};
use super::repo::{self, NO_PRODUCT};
use crate::auth::guards::Authenticated;
use crate::catalog::graphql::{Product, product_of};
use crate::error::{AppError, AppResult, FieldErrors, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::prime;
use crate::graphql::scalars::{Money, Uuid};
use crate::throttle::Limit;

/// A shopping cart. Totals use current prices and are never stored.
#[derive(Clone)]
pub struct Cart {
    row: CartRow,
    /// The lines, read once and shared by `items`, `totalPrice` and `itemsCount`.
    lines: Arc<OnceCell<Vec<CartItemRow>>>,
}

impl Cart {
    pub fn new(row: CartRow) -> Self {
        Self { row, lines: Arc::new(OnceCell::new()) }
    }

    /// The lines, read once; their products are primed along (every line shows its
    /// product, and the total needs their prices).
    async fn lines(&self, ctx: &Context<'_>) -> AppResult<&Vec<CartItemRow>> {
        self.lines
            .get_or_try_init(|| async {
                let mut conn = ctx.conn().await?;
                let lines = repo::items_of(&mut conn, self.row.id).await?;
                drop(conn);
                let products: Vec<i64> = lines.iter().map(|l| l.product_id).collect();
                prime::<ProductById, _>(ctx, &products).await?;
                Ok(lines)
            })
            .await
    }
}

#[Object]
impl Cart {
    async fn id(&self) -> Uuid {
        Uuid(self.row.id)
    }

    /// Lines of the cart, oldest first.
    #[graphql(directive = crate::graphql::limits::list_size::apply(crate::graphql::limits::assumed(), None, None, None))]
    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<CartItem>> {
        Ok(self.lines(ctx).await?.to_vec())
    }

    /// Sum of the lines' totals at current prices (`0` for an empty cart).
    async fn total_price(&self, ctx: &Context<'_>) -> AppResult<Money> {
        let lines = self.lines(ctx).await?;
        let products =
            ctx.loader::<ProductById>()?.load_many(lines.iter().map(|l| l.product_id)).await?;
        let total = lines
            .iter()
            .filter_map(|l| {
                products.get(&l.product_id).map(|p| p.unit_price * Decimal::from(l.quantity))
            })
            .sum();
        Ok(Money(total))
    }

    /// When the lines stop holding their stock: the cart's last change plus the hold time
    /// (`CART_HOLD_MINUTES`, or `GUEST_CART_HOLD_MINUTES` for a guest cart). Every change
    /// renews it.
    async fn hold_expires_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.row.held_until
    }

    /// Number of units in the cart (the sum of the lines' quantities).
    async fn items_count(&self, ctx: &Context<'_>) -> AppResult<i32> {
        Ok(self.lines(ctx).await?.iter().map(|l| i32::from(l.quantity)).sum())
    }
}

/// One product line of a cart (the row is the API type).
pub type CartItem = CartItemRow;

#[ComplexObject]
impl CartItemRow {
    async fn product(&self, ctx: &Context<'_>) -> AppResult<Product> {
        product_of(ctx, self.product_id).await
    }

    /// `quantity × unitPrice` at the current price.
    async fn total_price(&self, ctx: &Context<'_>) -> AppResult<Money> {
        let product = product_of(ctx, self.product_id).await?;
        Ok(Money(product.0.unit_price * Decimal::from(self.quantity)))
    }
}

/// The cart `id`, if the caller may use it (guest carts: anyone; owned carts: the owner).
/// Anything else is NOT_FOUND, as if it did not exist.
async fn visible_cart(ctx: &Context<'_>, id: Uuid) -> AppResult<CartRow> {
    let viewer = ctx.viewer_opt().map(|v| v.id());
    let mut conn = ctx.conn().await?;
    repo::find_cart(&mut conn, id.0)
        .await?
        .filter(|cart| cart.visible_to(viewer))
        .ok_or_else(AppError::not_found)
}

/// The hold policy of a cart: signed-in carts hold longer than guest carts.
fn hold_for(ctx: &Context<'_>, owned: bool) -> AppResult<Hold> {
    Ok(ctx.shared::<HoldPolicy>()?.for_cart(owned))
}

fn check_quantity(errors: &mut FieldErrors, quantity: i32) {
    if quantity < 1 {
        errors.add("quantity", "Ensure this value is greater than or equal to 1.");
    } else if quantity > MAX_QUANTITY {
        errors
            .add("quantity", format!("Ensure this value is less than or equal to {MAX_QUANTITY}."));
    }
}

#[derive(Default)]
pub struct CartsQuery;

#[Object]
impl CartsQuery {
    async fn cart(&self, ctx: &Context<'_>, id: Uuid) -> AppResult<Cart> {
        Ok(Cart::new(visible_cart(ctx, id).await?))
    }

    /// The signed-in user's open cart, if any.
    #[graphql(guard = "Authenticated")]
    async fn my_cart(&self, ctx: &Context<'_>) -> AppResult<Option<Cart>> {
        let viewer = ctx.viewer()?;
        let mut conn = ctx.conn().await?;
        Ok(repo::find_user_cart(&mut conn, viewer.id()).await?.map(Cart::new))
    }

    /// Lines of a cart (empty for an unknown cart).
    #[graphql(directive = crate::graphql::limits::list_size::apply(crate::graphql::limits::assumed(), None, None, None))]
    async fn cart_items(&self, ctx: &Context<'_>, cart_id: Uuid) -> AppResult<Vec<CartItem>> {
        match visible_cart(ctx, cart_id).await {
            Ok(cart) => {
                let mut conn = ctx.conn().await?;
                let lines = repo::items_of(&mut conn, cart.id).await?;
                Ok(lines)
            }
            Err(AppError::NotFound(_)) => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }

    async fn cart_item(&self, ctx: &Context<'_>, cart_id: Uuid, id: i64) -> AppResult<CartItem> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, cart_id).await?;
        let mut conn = ctx.conn().await?;
        repo::find_item(&mut conn, cart.id, id).await.or_not_found()
    }
}

#[derive(Default)]
pub struct CartsMutation;

#[Object]
impl CartsMutation {
    /// A new empty cart. With a token it belongs to the caller (who keeps one open cart:
    /// an existing one is returned).
    async fn create_cart(&self, ctx: &Context<'_>) -> AppResult<Cart> {
        ctx.throttle(Limit::CreateCart)?;
        let viewer = ctx.viewer_opt().map(|v| v.id());
        let mut conn = ctx.conn().await?;
        Ok(Cart::new(repo::create_cart(&mut conn, viewer).await?))
    }

    /// Deletes a cart and its lines.
    async fn delete_cart(&self, ctx: &Context<'_>, id: Uuid) -> AppResult<bool> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, id).await?;
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_cart(&mut conn, cart.id).await?)
    }

    /// Adds a product; a product already in the cart gets its quantity raised.
    async fn add_cart_item(
        &self, ctx: &Context<'_>, cart_id: Uuid, product_id: i64,
        #[graphql(default = 1)] quantity: i32,
    ) -> AppResult<CartItem> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, cart_id).await?;
        let mut errors = FieldErrors::new();
        let mut conn = ctx.conn().await?;
        if !crate::catalog::repo::product_exists(&mut conn, product_id).await? {
            errors.add("productId", NO_PRODUCT);
        }
        check_quantity(&mut errors, quantity);
        errors.into_result()?;
        let hold = hold_for(ctx, cart.user_id.is_some())?;
        repo::add_item(&mut conn, cart.id, product_id, quantity, hold)
            .await
            .map_err(|e| e.on_argument("product", "productId"))
    }

    /// Sets a line's quantity.
    async fn update_cart_item(
        &self, ctx: &Context<'_>, cart_id: Uuid, id: i64, quantity: i32,
    ) -> AppResult<CartItem> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, cart_id).await?;
        let mut conn = ctx.conn().await?;
        if repo::find_item(&mut conn, cart.id, id).await?.is_none() {
            return Err(AppError::not_found());
        }
        let mut errors = FieldErrors::new();
        check_quantity(&mut errors, quantity);
        errors.into_result()?;
        let hold = hold_for(ctx, cart.user_id.is_some())?;
        repo::set_quantity(&mut conn, cart.id, id, quantity, hold).await.or_not_found()
    }

    /// One unit less; the line is deleted when it had one (then `null` is returned).
    async fn decrement_cart_item(
        &self, ctx: &Context<'_>, cart_id: Uuid, id: i64,
    ) -> AppResult<Option<CartItem>> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, cart_id).await?;
        let hold = hold_for(ctx, cart.user_id.is_some())?;
        let mut conn = ctx.conn().await?;
        repo::decrement(&mut conn, cart.id, id, hold).await.or_not_found()
    }

    async fn delete_cart_item(&self, ctx: &Context<'_>, cart_id: Uuid, id: i64) -> AppResult<bool> {
        ctx.throttle(Limit::CartWrite)?;
        let cart = visible_cart(ctx, cart_id).await?;
        let hold = hold_for(ctx, cart.user_id.is_some())?;
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_item(&mut conn, cart.id, id, hold).await?)
    }

    /// Attaches a guest cart to the signed-in user, merging it into their open cart if
    /// they have one.
    #[graphql(guard = "Authenticated")]
    async fn claim_cart(&self, ctx: &Context<'_>, cart_id: Uuid) -> AppResult<Cart> {
        let viewer = ctx.viewer()?;
        let hold = hold_for(ctx, true)?;
        let mut conn = ctx.conn().await?;
        repo::claim(&mut conn, cart_id.0, viewer.id(), hold)
            .await?
            .map(Cart::new)
            .ok_or_else(AppError::not_found)
    }
}
