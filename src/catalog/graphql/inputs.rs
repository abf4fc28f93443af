//! Catalogue inputs and their validation (DRF serializer rules and messages).

use super::*;

// ---------------------------------------------------------------------------------------
// Inputs and their validation (DRF serializer rules and messages)
// ---------------------------------------------------------------------------------------

/// The product fields as sent, shared by the full and the partial input.
pub(super) struct ProductFields {
    title: MaybeUndefined<String>,
    slug: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
    unit_price: MaybeUndefined<Money>,
    inventory: MaybeUndefined<i32>,
    collection_id: MaybeUndefined<i64>,
}

macro_rules! product_input {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(InputObject, Default)]
        pub struct $name {
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
        }

        impl $name {
            pub(super) fn into_fields(self) -> ProductFields {
                ProductFields {
                    title: self.title,
                    slug: self.slug,
                    description: self.description,
                    unit_price: self.unit_price,
                    inventory: self.inventory,
                    collection_id: self.collection_id,
                }
            }
        }
    };
}

product_input!(
    /// A whole product: every field but `description` is required.
    ProductInput
);
product_input!(
    /// Some fields of a product: only the fields sent are validated and changed.
    ProductPatch
);

impl ProductFields {
    /// Checks every field and returns the columns to write plus every error found.
    pub(super) fn validate(self, mode: Mode) -> (ProductChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let title = validation::present(e, "title", self.title, mode)
            .and_then(|v| validation::char_field(e, "title", &v, Some(255), false));
        let slug = validation::present(e, "slug", self.slug, mode)
            .and_then(|v| validation::slug_field(e, "slug", &v));
        let description = match self.description {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(text) => validation::char_field(
                e,
                "description",
                &text,
                Some(validation::MAX_TEXT_CHARS),
                true,
            )
            .map(Some),
        };
        let unit_price = validation::present(e, "unitPrice", self.unit_price, mode)
            .and_then(|v| validation::decimal_field(e, "unitPrice", v.0, 6, 2, Some(Decimal::ONE)));
        let inventory = validation::present(e, "inventory", self.inventory, mode)
            .and_then(|v| validation::min_int(e, "inventory", i64::from(v), 0))
            .and_then(|v| i32::try_from(v).ok());
        let collection_id = validation::present(e, "collectionId", self.collection_id, mode);
        let changes = ProductChanges {
            title,
            slug,
            description,
            unit_price,
            inventory,
            collection_id,
            last_update: Some(Utc::now()),
        };
        (changes, errors)
    }
}

/// DRF's `PrimaryKeyRelatedField` check: the collection must exist.
pub(super) async fn check_collection(
    conn: &mut diesel_async::AsyncPgConnection,
    changes: &ProductChanges,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    if let Some(id) = changes.collection_id
        && !repo::collection_exists(conn, id).await?
    {
        errors.add(
            "collectionId",
            format!("Invalid pk \"{id}\" - object does not exist."),
        );
    }
    Ok(())
}

/// A collection.
#[derive(InputObject, Default)]
pub struct CollectionInput {
    /// At most 255 characters, not blank.
    pub title: MaybeUndefined<String>,
    /// Optional product to feature; null clears it, omitted leaves it as it is.
    pub featured_product_id: MaybeUndefined<i64>,
}

impl CollectionInput {
    pub(super) async fn validate(
        self,
        conn: &mut diesel_async::AsyncPgConnection,
    ) -> AppResult<CollectionChanges> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let title = validation::present(e, "title", self.title, Mode::Replace)
            .and_then(|v| validation::char_field(e, "title", &v, Some(255), false));
        let featured_product_id = match self.featured_product_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => {
                if !repo::product_exists(conn, id).await? {
                    e.add(
                        "featuredProductId",
                        format!("Invalid pk \"{id}\" - object does not exist."),
                    );
                }
                Some(Some(id))
            }
        };
        errors.into_result()?;
        Ok(CollectionChanges {
            title,
            featured_product_id,
        })
    }
}

macro_rules! review_input {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(InputObject, Default)]
        pub struct $name {
            /// Name of the reviewer: at most 255 characters, not blank.
            pub name: MaybeUndefined<String>,
            /// The review itself: at most 5,000 characters, not blank.
            pub description: MaybeUndefined<String>,
        }

        impl $name {
            pub(super) fn validate(self, mode: Mode) -> AppResult<ReviewChanges> {
                let mut errors = FieldErrors::new();
                let e = &mut errors;
                let name = validation::present(e, "name", self.name, mode)
                    .and_then(|v| validation::char_field(e, "name", &v, Some(255), false));
                let description = validation::present(e, "description", self.description, mode)
                    .and_then(|v| {
                        validation::char_field(e, "description", &v, Some(validation::MAX_TEXT_CHARS), false)
                    });
                errors.into_result()?;
                Ok(ReviewChanges { name, description })
            }
        }
    };
}

review_input!(
    /// A whole review: `name` and `description` are required.
    ReviewInput
);
review_input!(
    /// Some fields of a review.
    ReviewPatch
);

/// Most terms a `search` may have (counted after splitting, before removing duplicates).
pub const MAX_SEARCH_TERMS: usize = 10;
/// Longest term of a `search`, in characters.
pub const MAX_SEARCH_TERM_CHARS: usize = 100;

/// The search budget: at most 10 terms of at most 100 characters each.
pub(super) fn check_search_terms(terms: &[String]) -> AppResult<()> {
    let mut errors = crate::error::FieldErrors::new();
    if terms.len() > MAX_SEARCH_TERMS {
        errors.add(
            "search",
            format!("Ensure this field has no more than {MAX_SEARCH_TERMS} terms."),
        );
    }
    if terms
        .iter()
        .any(|term| term.chars().count() > MAX_SEARCH_TERM_CHARS)
    {
        errors.add(
            "search",
            format!("Ensure each term has no more than {MAX_SEARCH_TERM_CHARS} characters."),
        );
    }
    errors.into_result()
}
