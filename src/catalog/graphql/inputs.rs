//! Catalogue inputs and their validation (DRF serializer rules and messages).

use std::marker::PhantomData;

use diesel_async::AsyncPgConnection;

use super::*;
use crate::validation::{Editable, Partial, Validate, Whole};

// ---------------------------------------------------------------------------------------
// Inputs and their validation (DRF serializer rules and messages)
// ---------------------------------------------------------------------------------------

/// A product's fields. As `ProductInput` (create, full update) every field but
/// `description` is required; as `ProductPatch` only the fields sent are validated and
/// changed.
#[derive(InputObject, Default)]
#[graphql(
    concrete(name = "ProductInput", params(Whole)),
    concrete(name = "ProductPatch", params(Partial))
)]
pub struct ProductFields<S: Send + Sync + Default + 'static> {
    /// At most 255 characters, not blank.
    pub title: MaybeUndefined<String>,
    /// At most 50 letters, numbers, underscores or hyphens (not unique).
    pub slug: MaybeUndefined<String>,
    /// Optional; may be null or empty.
    pub description: MaybeUndefined<String>,
    /// 1.00 to 9999.99, at most two decimals.
    pub unit_price: MaybeUndefined<Money>,
    /// Units in stock, at least 0.
    pub inventory: MaybeUndefined<i32>,
    /// Id of an existing collection.
    pub collection_id: MaybeUndefined<i64>,
    #[graphql(skip)]
    pub shape: PhantomData<S>,
}

pub type ProductInput = ProductFields<Whole>;
pub type ProductPatch = ProductFields<Partial>;

impl<S: Send + Sync + Default + 'static> Validate for ProductFields<S> {
    type Changes = ProductChanges;

    fn validate(self, mode: Mode, e: &mut FieldErrors) -> ProductChanges {
        let title = validation::text(e, "title", self.title, mode, 255);
        let slug = validation::present(e, "slug", self.slug, mode)
            .and_then(|v| validation::slug_field(e, "slug", &v));
        let description = validation::nullable(self.description).and_then(|text| match text {
            None => Some(None),
            Some(text) => validation::char_field(
                e,
                "description",
                &text,
                Some(validation::MAX_TEXT_CHARS),
                true,
            )
            .map(Some),
        });
        let unit_price = validation::present(e, "unitPrice", self.unit_price, mode)
            .and_then(|v| validation::decimal_field(e, "unitPrice", v.0, 6, 2, Some(Decimal::ONE)));
        let inventory = validation::present(e, "inventory", self.inventory, mode)
            .and_then(|v| validation::min_int(e, "inventory", i64::from(v), 0))
            .and_then(|v| i32::try_from(v).ok());
        let collection_id = validation::present(e, "collectionId", self.collection_id, mode);
        ProductChanges {
            title,
            slug,
            description,
            unit_price,
            inventory,
            collection_id,
            last_update: Some(Utc::now()),
        }
    }
}

impl Editable for ProductRow {
    type Key = i64;
    type Changes = ProductChanges;

    async fn find(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Option<Self>> {
        repo::find_product(conn, id).await
    }

    /// DRF's `PrimaryKeyRelatedField` check: the collection must exist.
    async fn check(
        conn: &mut AsyncPgConnection, changes: &ProductChanges, errors: &mut FieldErrors,
    ) -> AppResult<()> {
        if let Some(id) = changes.collection_id
            && !repo::collection_exists(conn, id).await?
        {
            errors.add("collectionId", no_such_row(id));
        }
        Ok(())
    }

    async fn write(
        conn: &mut AsyncPgConnection, id: i64, changes: &ProductChanges,
    ) -> AppResult<Option<Self>> {
        repo::update_product(conn, id, changes)
            .await
            .map_err(|e| e.on_argument("collection", "collectionId"))
    }
}

/// DRF's message for a reference to a missing row.
fn no_such_row(id: i64) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}

/// A collection.
#[derive(InputObject, Default)]
pub struct CollectionInput {
    /// At most 255 characters, not blank.
    pub title: MaybeUndefined<String>,
    /// Optional product to feature; null clears it, omitted leaves it as it is.
    pub featured_product_id: MaybeUndefined<i64>,
}

impl Validate for CollectionInput {
    type Changes = CollectionChanges;

    fn validate(self, mode: Mode, e: &mut FieldErrors) -> CollectionChanges {
        let title = validation::text(e, "title", self.title, mode, 255);
        CollectionChanges {
            title,
            featured_product_id: validation::nullable(self.featured_product_id),
        }
    }
}

impl Editable for CollectionRow {
    type Key = i64;
    type Changes = CollectionChanges;

    async fn find(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Option<Self>> {
        repo::find_collection(conn, id).await
    }

    async fn check(
        conn: &mut AsyncPgConnection, changes: &CollectionChanges, errors: &mut FieldErrors,
    ) -> AppResult<()> {
        if let Some(Some(id)) = changes.featured_product_id
            && !repo::product_exists(conn, id).await?
        {
            errors.add("featuredProductId", no_such_row(id));
        }
        Ok(())
    }

    async fn write(
        conn: &mut AsyncPgConnection, id: i64, changes: &CollectionChanges,
    ) -> AppResult<Option<Self>> {
        repo::update_collection(conn, id, changes)
            .await
            .map_err(|e| e.on_argument("featuredProduct", "featuredProductId"))
    }
}

/// A review's fields. As `ReviewInput` (create, full update) `name` and `description`
/// are required; as `ReviewPatch` only the fields sent are changed.
#[derive(InputObject, Default)]
#[graphql(
    concrete(name = "ReviewInput", params(Whole)),
    concrete(name = "ReviewPatch", params(Partial))
)]
pub struct ReviewFields<S: Send + Sync + Default + 'static> {
    /// Name of the reviewer: at most 255 characters, not blank.
    pub name: MaybeUndefined<String>,
    /// The review itself: at most 5,000 characters, not blank.
    pub description: MaybeUndefined<String>,
    #[graphql(skip)]
    pub shape: PhantomData<S>,
}

pub type ReviewInput = ReviewFields<Whole>;
pub type ReviewPatch = ReviewFields<Partial>;

impl<S: Send + Sync + Default + 'static> Validate for ReviewFields<S> {
    type Changes = ReviewChanges;

    fn validate(self, mode: Mode, e: &mut FieldErrors) -> ReviewChanges {
        let name = validation::text(e, "name", self.name, mode, 255);
        let description =
            validation::text(e, "description", self.description, mode, validation::MAX_TEXT_CHARS);
        ReviewChanges { name, description }
    }
}

impl Editable for ReviewRow {
    /// (product, review)
    type Key = (i64, i64);
    type Changes = ReviewChanges;

    async fn find(
        conn: &mut AsyncPgConnection, (product, id): (i64, i64),
    ) -> AppResult<Option<Self>> {
        repo::find_review(conn, product, id).await
    }

    async fn write(
        conn: &mut AsyncPgConnection, (product, id): (i64, i64), changes: &ReviewChanges,
    ) -> AppResult<Option<Self>> {
        repo::update_review(conn, product, id, changes).await
    }
}

/// Most terms a `search` may have (counted after splitting, before removing duplicates).
pub const MAX_SEARCH_TERMS: usize = 10;
/// Longest term of a `search`, in characters.
pub const MAX_SEARCH_TERM_CHARS: usize = 100;

/// The search budget: at most 10 terms of at most 100 characters each.
pub(super) fn check_search_terms(terms: &[String]) -> AppResult<()> {
    let mut errors = crate::error::FieldErrors::new();
    if terms.len() > MAX_SEARCH_TERMS {
        errors
            .add("search", format!("Ensure this field has no more than {MAX_SEARCH_TERMS} terms."));
    }
    if terms.iter().any(|term| term.chars().count() > MAX_SEARCH_TERM_CHARS) {
        errors.add(
            "search",
            format!("Ensure each term has no more than {MAX_SEARCH_TERM_CHARS} characters."),
        );
    }
    errors.into_result()
}
