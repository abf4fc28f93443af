//! The customer profile API : a user's own profile, staff CRUD and the
//! permission-guarded history.

use crate::auth::ViewerExt;
use crate::auth::loaders::UserById;
use crate::customers::loaders::CustomerStatsById;
use crate::graphql::scalars::Money;
use async_graphql::{ComplexObject, Context, Enum, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;
use storefront_macros::paged;

use super::model::{CustomerChanges, CustomerRow, NewCustomer};
use super::repo;
use crate::auth::graphql::User;
use crate::auth::guards::{Authenticated, HasPerm, Staff};
use crate::db::pagination::read_page;
use crate::error::{AppError, AppResult, FieldErrors, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::LoadRequired;
use crate::graphql::loaders::{Selected, prime};
use crate::graphql::pagination::{self, Connection, Counter, PageArgs, PageRequest};
use std::marker::PhantomData;

use crate::validation::{self, Mode, Partial, Validate, Whole};

/// Membership level (stored as `B`, `S`, `G`).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Membership {
    Bronze,
    Silver,
    Gold,
}

impl Membership {
    pub fn code(self) -> &'static str {
        match self {
            Self::Bronze => "B",
            Self::Silver => "S",
            Self::Gold => "G",
        }
    }

    fn from_code(code: &str) -> Self {
        match code {
            "S" => Self::Silver,
            "G" => Self::Gold,
            _ => Self::Bronze,
        }
    }
}

/// A customer profile (the row is the API type).
pub type Customer = CustomerRow;

#[ComplexObject]
impl CustomerRow {
    async fn user(&self, ctx: &Context<'_>) -> AppResult<User> {
        ctx.loader::<UserById>()?.load_required(self.user_id).await.map(User)
    }

    #[graphql(name = "membership")]
    async fn membership_level(&self) -> Membership {
        Membership::from_code(&self.membership)
    }

    /// The user's first name, a space, and last name.
    async fn full_name(&self, ctx: &Context<'_>) -> AppResult<String> {
        let user = ctx.loader::<UserById>()?.load_required(self.user_id).await?;
        Ok(format!("{} {}", user.first_name, user.last_name))
    }

    /// How many orders the customer placed.
    async fn orders_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        Ok(self.stats(ctx).await?.orders_count)
    }

    /// The total of every order's lines (0 without orders).
    async fn total_spent(&self, ctx: &Context<'_>) -> AppResult<Money> {
        Ok(Money(self.stats(ctx).await?.total_spent))
    }

    /// The customer's most recent order, if any.
    async fn last_order_id(&self, ctx: &Context<'_>) -> AppResult<Option<i64>> {
        Ok(self.stats(ctx).await?.last_order_id)
    }
}

impl CustomerRow {
    async fn stats(&self, ctx: &Context<'_>) -> AppResult<repo::CustomerStats> {
        ctx.loader::<CustomerStatsById>()?.load_required(self.id).await
    }
}

const CUSTOMER_ORDERING: &str = "USER_NAME";

/// A customer's profile fields. As `CustomerInput` (full update) `phone` is required and
/// an omitted `birthDate` or `membership` keeps its value; as `CustomerPatch` only the
/// fields sent are changed.
#[derive(InputObject, Default)]
#[graphql(
    concrete(name = "CustomerInput", params(Whole)),
    concrete(name = "CustomerPatch", params(Partial))
)]
pub struct CustomerFields<S: Send + Sync + Default + 'static> {
    /// Not blank, at most 255 characters.
    pub phone: MaybeUndefined<String>,
    /// Optional; null clears it.
    pub birth_date: MaybeUndefined<NaiveDate>,
    pub membership: MaybeUndefined<Membership>,
    #[graphql(skip)]
    pub shape: PhantomData<S>,
}

pub type CustomerInput = CustomerFields<Whole>;
pub type CustomerPatch = CustomerFields<Partial>;

/// A profile for a user who has none yet (staff).
#[derive(InputObject)]
pub struct NewCustomerInput {
    pub user_id: i64,
    pub phone: MaybeUndefined<String>,
    pub birth_date: MaybeUndefined<NaiveDate>,
    pub membership: MaybeUndefined<Membership>,
}

impl<S: Send + Sync + Default + 'static> Validate for CustomerFields<S> {
    type Changes = CustomerChanges;

    fn validate(self, mode: Mode, errors: &mut FieldErrors) -> CustomerChanges {
        let phone = validation::text(errors, "phone", self.phone, mode, 255);
        let membership = match self.membership {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => {
                errors.add("membership", validation::NOT_NULL);
                None
            }
            MaybeUndefined::Value(m) => Some(m.code().to_owned()),
        };
        CustomerChanges { phone, birth_date: validation::nullable(self.birth_date), membership }
    }
}

validation::editable_by_id!(
    CustomerRow,
    CustomerChanges,
    repo::find_customer,
    repo::update_customer
);

async fn my_customer_row(ctx: &Context<'_>) -> AppResult<CustomerRow> {
    let viewer = ctx.viewer()?;
    let mut conn = ctx.conn().await?;
    // Every user has a customer (created with the user); a missing one is NOT_FOUND.
    repo::find_by_user(&mut conn, viewer.id()).await.or_not_found()
}

#[derive(Default)]
pub struct CustomersQuery;

#[paged]
#[Object]
impl CustomersQuery {
    /// The signed-in user's profile.
    #[graphql(guard = "Authenticated")]
    async fn my_customer(&self, ctx: &Context<'_>) -> AppResult<Customer> {
        my_customer_row(ctx).await
    }

    /// Every customer, by the user's first then last name (staff only).
    #[graphql(guard = "Staff")]
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self, ctx: &Context<'_>, page: PageArgs,
        #[graphql(desc = "First or last name starts with this (case-insensitive).")] search: Option<
            String,
        >,
        #[graphql(desc = "Only customers with at least this many orders.")] min_orders: Option<i32>,
    ) -> AppResult<Connection<Customer>> {
        let page = PageRequest::new(page, CUSTOMER_ORDERING)?;
        let filter = repo::CustomersWhere {
            search: search.filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
            min_orders: min_orders.map(i64::from),
        };
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &filter, &page).await?;
        drop(conn);
        let selected = Selected(&pagination::node_selections(ctx.look_ahead()));
        if ["ordersCount", "totalSpent", "lastOrderId"].iter().any(|f| selected.has(f)) {
            let ids: Vec<i64> = rows.window.rows.iter().map(|(_, r)| r.customer.id).collect();
            prime::<CustomerStatsById, _>(ctx, &ids).await?;
        }
        let counter = Counter::new(move |mut conn| {
            let filter = filter.clone();
            async move { repo::count_customers(&mut conn, &filter).await }
        });
        Ok(Connection::from_keyset(rows, &page, CUSTOMER_ORDERING, |row| row.customer, counter))
    }

    /// One customer (staff only).
    #[graphql(guard = "Staff")]
    async fn customer(&self, ctx: &Context<'_>, id: i64) -> AppResult<Customer> {
        let mut conn = ctx.conn().await?;
        repo::find_customer(&mut conn, id).await.or_not_found()
    }

    /// A customer's history: `"ok"` for holders of `store.view_history` (directly, through
    /// a group, or as superuser), whoever they are.
    #[graphql(guard = "HasPerm(\"store.view_history\")")]
    async fn customer_history(&self, _id: i64) -> String {
        "ok".to_owned()
    }
}

#[derive(Default)]
pub struct CustomersMutation;

#[Object]
impl CustomersMutation {
    /// Replaces the signed-in user's profile (`phone` required).
    #[graphql(guard = "Authenticated")]
    async fn update_my_customer(
        &self, ctx: &Context<'_>, input: CustomerInput,
    ) -> AppResult<Customer> {
        let id = my_customer_row(ctx).await?.id;
        let mut conn = ctx.conn().await?;
        validation::update(&mut conn, id, input, Mode::Replace, validation::anyone).await
    }

    /// A profile for a user who has none (staff only).
    #[graphql(guard = "Staff")]
    async fn create_customer(
        &self, ctx: &Context<'_>, input: NewCustomerInput,
    ) -> AppResult<Customer> {
        let mut errors = FieldErrors::new();
        let fields = CustomerFields::<Whole> {
            phone: input.phone,
            birth_date: input.birth_date,
            membership: input.membership,
            shape: PhantomData,
        };
        let changes = fields.validate(Mode::Create, &mut errors);
        let mut conn = ctx.conn().await?;
        if crate::auth::repo::find_user(&mut conn, input.user_id).await?.is_none() {
            errors.add(
                "userId",
                format!("Invalid pk \"{}\" - object does not exist.", input.user_id),
            );
        } else if repo::find_by_user(&mut conn, input.user_id).await?.is_some() {
            errors.add("userId", "customer with this user already exists.");
        }
        errors.into_result()?;
        let new = NewCustomer {
            user_id: input.user_id,
            phone: changes.phone.unwrap_or_default(),
            birth_date: changes.birth_date.flatten(),
            membership: changes.membership.unwrap_or_else(|| "B".to_owned()),
        };
        let row = repo::insert_customer(&mut conn, &new).await;
        row.map_err(|e| e.on_argument("user", "userId"))
    }

    /// Replaces a profile (staff only).
    #[graphql(guard = "Staff")]
    async fn update_customer(
        &self, ctx: &Context<'_>, id: i64, input: CustomerInput,
    ) -> AppResult<Customer> {
        let mut conn = ctx.conn().await?;
        validation::update(&mut conn, id, input, Mode::Replace, validation::anyone).await
    }

    /// Changes the fields sent (staff only).
    #[graphql(guard = "Staff")]
    async fn patch_customer(
        &self, ctx: &Context<'_>, id: i64, input: CustomerPatch,
    ) -> AppResult<Customer> {
        let mut conn = ctx.conn().await?;
        validation::update(&mut conn, id, input, Mode::Patch, validation::anyone).await
    }

    /// Refused (METHOD_NOT_ALLOWED) while the customer has orders (staff only).
    #[graphql(guard = "Staff")]
    async fn delete_customer(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_customer(&mut conn, id).await?)
    }
}
