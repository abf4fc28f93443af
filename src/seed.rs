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
    conn: &mut AsyncPgConnection, force: bool, demo_accounts: bool,
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
        let collection_ids = insert_collections(conn, &data).await?;
        let product_ids = insert_products(conn, &data, &collection_ids).await?;
        let reviews = insert_reviews(conn, &data, &product_ids).await?;
        let users = if demo_accounts { create_demo_accounts(conn).await? } else { 0 };
        Ok(SeedReport {
            collections: collection_ids.len(),
            products: product_ids.len(),
            reviews,
            users,
        })
    })
    .await
}

async fn insert_collections(
    conn: &mut AsyncPgConnection, data: &DemoData,
) -> Result<Vec<i64>, SeedError> {
    let titles: Vec<_> =
        data.collections.iter().map(|title| collections::title.eq(*title)).collect();
    Ok(diesel::insert_into(collections::table)
        .values(titles)
        .returning(collections::id)
        .get_results(conn)
        .await?)
}

/// The products, then each collection's featured product.
async fn insert_products(
    conn: &mut AsyncPgConnection, data: &DemoData, collection_ids: &[i64],
) -> Result<Vec<i64>, SeedError> {
    let new_products: Vec<NewProduct> = data
        .products
        .iter()
        .map(|p| NewProduct { collection_id: collection_ids[p.collection], ..p.product.clone() })
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
    Ok(product_ids)
}

async fn insert_reviews(
    conn: &mut AsyncPgConnection, data: &DemoData, product_ids: &[i64],
) -> Result<usize, SeedError> {
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
        diesel::insert_into(reviews::table).values(chunk).execute(conn).await?;
    }
    Ok(review_rows.len())
}

/// The development accounts that do not exist yet; how many were created.
async fn create_demo_accounts(conn: &mut AsyncPgConnection) -> Result<usize, SeedError> {
    let passwords = Passwords::production()?;
    let mut users = 0;
    for ((username, password), staff, names) in
        [(DEMO_STAFF, true, ("Ada", "Admin")), (DEMO_CUSTOMER, false, ("Dana", "Demo"))]
    {
        if auth_repo::find_user_by_username(conn, username).await?.is_none() {
            admin::create_demo_user(conn, &passwords, username, password, staff, names).await?;
            users += 1;
        }
    }
    Ok(users)
}

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    /// A demo product last updated at `last_update`.
    fn product(&mut self, last_update: DateTime<Utc>) -> DemoProduct {
        let title =
            format!("{} {}{}", self.pick(&ADJECTIVES), self.pick(&NOUNS), self.pick(&SIZES));
        let slug = slugify(&title);
        let description = (self.below(10) != 0).then(|| {
            format!("{} {}", self.pick(&DESCRIPTION_OPENERS), self.pick(&DESCRIPTION_DETAILS))
        });
        // Mostly everyday prices, with a long tail up to 9999.99.
        let cents = match self.below(10) {
            0 => 100 + self.below(999_900) as i64,
            1..=3 => 100 + self.below(9_900) as i64,
            _ => 100 + self.below(2_900) as i64,
        };
        DemoProduct {
            collection: self.below(COLLECTIONS),
            product: NewProduct {
                title,
                slug,
                description,
                unit_price: Decimal::new(cents, 2),
                inventory: self.below(101) as i32,
                collection_id: 0,
                last_update,
            },
        }
    }

    /// A demo review of the `product`-th product, within 320 days of `first_day`.
    fn review(&mut self, product: usize, first_day: chrono::NaiveDate) -> DemoReview {
        DemoReview {
            product,
            name: REVIEWERS[self.below(REVIEWERS.len())],
            description: (*self.pick(&REVIEW_TEXTS)).to_owned(),
            date: first_day + Duration::days(self.below(320) as i64),
        }
    }

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

const SIZES: [&str; 8] =
    ["", "", "", " - 10 Ounce", " - 12 Pack", " - 500g", " - Family Size", " - 2 Pack"];

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
        let epoch: DateTime<Utc> =
            Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH);
        let products: Vec<DemoProduct> = (0..PRODUCTS)
            .map(|index| rng.product(epoch + Duration::minutes(index as i64 * 397)))
            .collect();
        // Six collections feature their first product.
        let featured = (0..6)
            .filter_map(|c| products.iter().position(|p| p.collection == c).map(|p| (c, p)))
            .collect();
        let first_day = epoch.date_naive();
        let reviews = (0..PRODUCTS)
            .flat_map(|product| {
                let count = rng.below(5);
                (0..count).map(|_| rng.review(product, first_day)).collect::<Vec<_>>()
            })
            .collect();
        Self { collections: COLLECTION_TITLES.to_vec(), products, featured, reviews }
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
        let titles =
            |d: &DemoData| d.products.iter().map(|p| p.product.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&a), titles(&b));
        let unique: std::collections::HashSet<_> = titles(&a).into_iter().collect();
        assert!(unique.len() < PRODUCTS, "titles must repeat");
        assert!(a.products.iter().all(|p| {
            let price = p.product.unit_price;
            price >= Decimal::ONE && price <= Decimal::new(999_999, 2)
        }));
        assert!(a.products.iter().all(|p| (0..=100).contains(&p.product.inventory)));
        assert!(a.reviews.len() > PRODUCTS);
        assert_eq!(slugify("Organic Coffee - 10 Ounce"), "organic-coffee-10-ounce");
    }
}
