//! The admin chapter's staff tools on the catalogue: the product list's calendar filter
//! and the bulk "clear inventory" action.

use chrono::{Datelike, Duration, NaiveDate, TimeZone};

use super::*;

/// Django admin's date filter on `last_update`, as calendar windows in UTC.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LastUpdateFilter {
    /// From 00:00 today until the end of today.
    Today,
    /// From 00:00 seven days ago until the end of today.
    #[graphql(name = "PAST_7_DAYS")]
    Past7Days,
    /// From the first of this month until the end of the month.
    ThisMonth,
    /// From the first of January until the end of the year.
    ThisYear,
}

impl LastUpdateFilter {
    /// The filter's window as of now.
    pub fn window(self) -> repo::ProductFilter {
        self.window_at(Utc::now())
    }

    /// The filter's window `[from, before)` as of `now`.
    pub fn window_at(self, now: DateTime<Utc>) -> repo::ProductFilter {
        let today = now.date_naive();
        let tomorrow = today + Duration::days(1);
        let (from, before) = match self {
            Self::Today => (today, tomorrow),
            Self::Past7Days => (today - Duration::days(7), tomorrow),
            Self::ThisMonth => {
                let first = today.with_day(1).unwrap_or(today);
                let next = if first.month() == 12 {
                    NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
                };
                (first, next.unwrap_or(tomorrow))
            }
            Self::ThisYear => {
                let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
                let next = NaiveDate::from_ymd_opt(today.year() + 1, 1, 1).unwrap_or(tomorrow);
                (first, next)
            }
        };
        let midnight =
            |day: NaiveDate| Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN));
        repo::ProductFilter {
            updated_from: Some(midnight(from)),
            updated_before: Some(midnight(before)),
            ..repo::ProductFilter::default()
        }
    }
}

/// The collection list's order (then title, then id).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CollectionOrder {
    /// By title (the default).
    Title,
    /// Fewest products first.
    ProductsCount,
    /// Most products first.
    ProductsCountDesc,
}

/// What `clearInventory` did.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct ClearInventoryResult {
    pub updated_count: i64,
    /// `"{n} products were successfully updated."`
    pub message: String,
}

#[derive(Default)]
pub struct CatalogAdminMutation;

#[Object]
impl CatalogAdminMutation {
    /// The admin's bulk action: the inventory of every listed product becomes 0, in one
    /// statement (unknown ids are ignored; staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn clear_inventory(
        &self, ctx: &Context<'_>, product_ids: Vec<i64>,
    ) -> AppResult<ClearInventoryResult> {
        let mut conn = ctx.conn().await?;
        let updated = repo::clear_inventory(&mut conn, &product_ids).await?;
        let updated_count = i64::try_from(updated).unwrap_or(i64::MAX);
        Ok(ClearInventoryResult {
            updated_count,
            message: format!("{updated_count} products were successfully updated."),
        })
    }
}
