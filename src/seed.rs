//! The demo catalogue: 10 collections, 1,000 products (with repeated titles, as in the
//! course's data), a few reviews per product. Deterministic: the same data on every run.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::auth::password::Passwords;
use crate::auth::{admin, repo as auth_repo};
use crate::catalog::model::NewProduct;
use crate::db::schema::{collections, products, reviews};
use crate::error::AppError;

pub const COLLECTIONS: usize = 10;
/// Demo accounts (development only; the passwords are public).
pub const DEMO_STAFF: (&str, &str) = ("admin", "storefront-admin");
pub const DEMO_CUSTOMER: (&str, &str) = ("demo", "storefront-demo");
pub const PRODUCTS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub collections: usize,
    pub products: usize,
    pub reviews: usize,
    /// Demo accounts created by this run (they are kept when they already exist).
    pub users: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds a catalogue; pass --force to replace it")]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] AppError),
}

impl From<diesel::result::Error> for SeedError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.into())
    }
}

/// Whether the catalogue has neither collections nor products.
pub async fn catalogue_is_empty(conn: &mut AsyncPgConnection) -> Result<bool, AppError> {
    let collections: i64 = collections::table.count().get_result(conn).await?;
    let products: i64 = products::table.count().get_result(conn).await?;
    Ok(collections == 0 && products == 0)
}

/// Loads the demo catalogue in one transaction. Refuses a non-empty catalogue unless
/// `force`, which replaces it (and everything that refers to it). The development
/// accounts (`admin`, `demo`, with published passwords) only with `demo_accounts`.
pub async fn seed(
    conn: &mut AsyncPgConnection,
    force: bool,
    demo_accounts: bool,
) -> Result<SeedReport, SeedError> {
    conn.transaction::<_, SeedError, _>(async |conn| {
        if !force && !catalogue_is_empty(conn).await? {
            return Err(SeedError::NotEmpty);
        }
        // Fresh identities make the ids deterministic too.
        diesel::sql_query(
            "TRUNCATE collections, products, reviews, promotions, product_promotions \
             RESTART IDENTITY CASCADE",
        )
        .execute(conn)
        .await?;
        let data = DemoData::generate();
        let collection_ids: Vec<i64> = diesel::insert_into(collections::table)
            .values(
                data.collections
                    .iter()
                    .map(|title| collections::title.eq(*title))
                    .collect::<Vec<_>>(),
            )
            .returning(collections::id)
            .get_results(conn)
            .await?;
        let new_products: Vec<NewProduct> = data
            .products
            .iter()
            .map(|p| NewProduct {
                collection_id: collection_ids[p.collection],
                ..p.product.clone()
            })
            .collect();
        let product_ids: Vec<i64> = diesel::insert_into(products::table)
            .values(&new_products)
            .returning(products::id)
            .get_results(conn)
            .await?;
        for (collection, product) in &data.featured {
            diesel::update(collections::table.find(collection_ids[*collection]))
                .set(collections::featured_product_id.eq(product_ids[*product]))
                .execute(conn)
                .await?;
        }
        let review_rows: Vec<_> = data
            .reviews
            .iter()
            .map(|r| {
                (
                    reviews::product_id.eq(product_ids[r.product]),
                    reviews::name.eq(r.name),
                    reviews::description.eq(r.description.clone()),
                    reviews::date.eq(r.date),
                )
            })
            .collect();
        for chunk in review_rows.chunks(5_000) {
            diesel::insert_into(reviews::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        let mut users = 0;
        let passwords = Passwords::production()?;
        let accounts = if demo_accounts {
            vec![
                (DEMO_STAFF, true, ("Ada", "Admin")),
                (DEMO_CUSTOMER, false, ("Dana", "Demo")),
            ]
        } else {
            Vec::new()
        };
        for ((username, password), staff, names) in accounts {
            if auth_repo::find_user_by_username(conn, username)
                .await?
                .is_none()
            {
                admin::create_demo_user(conn, &passwords, username, password, staff, names).await?;
                users += 1;
            }
        }
        Ok(SeedReport {
            collections: collection_ids.len(),
            products: product_ids.len(),
            reviews: review_rows.len(),
            users,
        })
    })
    .await
}

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const COLLECTION_TITLES: [&str; COLLECTIONS] = [
    "Beauty",
    "Baking",
    "Beverages",
    "Cleaning",
    "Grocery",
    "Magazines",
    "Pets",
    "Spices",
    "Stationary",
    "Toys",
];

const ADJECTIVES: [&str; 24] = [
    "Organic",
    "Classic",
    "Fresh",
    "Smoked",
    "Roasted",
    "Sparkling",
    "Dried",
    "Spicy",
    "Sweet",
    "Crunchy",
    "Wild",
    "Golden",
    "Artisan",
    "Premium",
    "Rustic",
    "Mild",
    "Herbal",
    "Zesty",
    "Creamy",
    "Hearty",
    "Tangy",
    "Velvet",
    "Bright",
    "Gentle",
];

const NOUNS: [&str; 36] = [
    "Coffee",
    "Tea",
    "Honey",
    "Cookies",
    "Crackers",
    "Mustard",
    "Shampoo",
    "Soap",
    "Candles",
    "Notebook",
    "Markers",
    "Puzzle",
    "Yo-yo",
    "Catnip",
    "Dog Treats",
    "Paprika",
    "Cinnamon",
    "Vanilla",
    "Flour",
    "Brownie Mix",
    "Lemonade",
    "Cola",
    "Sponges",
    "Detergent",
    "Glass Cleaner",
    "Lip Balm",
    "Face Cream",
    "Pepper",
    "Salt",
    "Oregano",
    "Granola",
    "Jam",
    "Pasta",
    "Rice",
    "Olive Oil",
    "Vinegar",
];

const SIZES: [&str; 8] = [
    "",
    "",
    "",
    " - 10 Ounce",
    " - 12 Pack",
    " - 500g",
    " - Family Size",
    " - 2 Pack",
];

const DESCRIPTION_OPENERS: [&str; 8] = [
    "A pantry favourite",
    "Made in small batches",
    "Loved by our customers",
    "Sourced from independent growers",
    "Our best value pick",
    "A timeless classic",
    "Perfect for gifting",
    "Everyday quality",
];

const DESCRIPTION_DETAILS: [&str; 8] = [
    "with a rich, balanced flavour.",
    "that keeps for months in a cool, dry place.",
    "in recyclable packaging.",
    "for the whole family.",
    "ideal with coffee or tea.",
    "and gentle on sensitive skin.",
    "ready in under ten minutes.",
    "with no artificial colours.",
];

const REVIEWERS: [&str; 12] = [
    "Amina", "Bruno", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal",
    "Lena",
];

const REVIEW_TEXTS: [&str; 8] = [
    "Exactly as described, would buy again.",
    "Good value for the price.",
    "Arrived quickly and well packed.",
    "Not my favourite, but decent.",
    "Five stars, the whole family loves it.",
    "Quality has improved since last year.",
    "A bit pricey, but worth it.",
    "Fine, though the packaging could be smaller.",
];

struct DemoProduct {
    collection: usize,
    product: NewProduct,
}

struct DemoReview {
    product: usize,
    name: &'static str,
    description: String,
    date: NaiveDate,
}

struct DemoData {
    collections: Vec<&'static str>,
    products: Vec<DemoProduct>,
    /// (collection index, product index)
    featured: Vec<(usize, usize)>,
    reviews: Vec<DemoReview>,
}

impl DemoData {
    fn generate() -> Self {
        let mut rng = Rng(20_261_122);
        let epoch: DateTime<Utc> = Utc
            .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH);
        let mut products = Vec::with_capacity(PRODUCTS);
        for index in 0..PRODUCTS {
            let title = format!(
                "{} {}{}",
                rng.pick(&ADJECTIVES),
                rng.pick(&NOUNS),
                rng.pick(&SIZES)
            );
            let slug = slugify(&title);
            let description = (rng.below(10) != 0).then(|| {
                format!(
                    "{} {}",
                    rng.pick(&DESCRIPTION_OPENERS),
                    rng.pick(&DESCRIPTION_DETAILS)
                )
            });
            // Mostly everyday prices, with a long tail up to 9999.99.
            let cents = match rng.below(10) {
                0 => 100 + rng.below(999_900) as i64,
                1..=3 => 100 + rng.below(9_900) as i64,
                _ => 100 + rng.below(2_900) as i64,
            };
            products.push(DemoProduct {
                collection: rng.below(COLLECTIONS),
                product: NewProduct {
                    title,
                    slug,
                    description,
                    unit_price: Decimal::new(cents, 2),
                    inventory: rng.below(101) as i32,
                    collection_id: 0,
                    last_update: epoch + Duration::minutes(index as i64 * 397),
                },
            });
        }
        // Six collections feature their first product.
        let featured = (0..6)
            .filter_map(|c| {
                products
                    .iter()
                    .position(|p| p.collection == c)
                    .map(|p| (c, p))
            })
            .collect();
        let mut reviews = Vec::new();
        let first_day = epoch.date_naive();
        for product in 0..PRODUCTS {
            for _ in 0..rng.below(5) {
                reviews.push(DemoReview {
                    product,
                    name: REVIEWERS[rng.below(REVIEWERS.len())],
                    description: (*rng.pick(&REVIEW_TEXTS)).to_owned(),
                    date: first_day + Duration::days(rng.below(320) as i64),
                });
            }
        }
        Self {
            collections: COLLECTION_TITLES.to_vec(),
            products,
            featured,
            reviews,
        }
    }
}

fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').chars().take(50).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_is_deterministic_and_realistic() {
        let a = DemoData::generate();
        let b = DemoData::generate();
        assert_eq!(a.products.len(), PRODUCTS);
        let titles = |d: &DemoData| {
            d.products
                .iter()
                .map(|p| p.product.title.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(&a), titles(&b));
        let unique: std::collections::HashSet<_> = titles(&a).into_iter().collect();
        assert!(unique.len() < PRODUCTS, "titles must repeat");
        assert!(a.products.iter().all(|p| {
            let price = p.product.unit_price;
            price >= Decimal::ONE && price <= Decimal::new(999_999, 2)
        }));
        assert!(
            a.products
                .iter()
                .all(|p| (0..=100).contains(&p.product.inventory))
        );
        assert!(a.reviews.len() > PRODUCTS);
        assert_eq!(
            slugify("Organic Coffee - 10 Ounce"),
            "organic-coffee-10-ounce"
        );
    }
}
