// @generated automatically by Diesel CLI.

diesel::table! {
    collections (id) {
        id -> Int8,
        #[max_length = 255]
        title -> Varchar,
        featured_product_id -> Nullable<Int8>,
    }
}

diesel::table! {
    order_items (id) {
        id -> Int8,
        order_id -> Int8,
        product_id -> Int8,
        quantity -> Int2,
        unit_price -> Numeric,
    }
}

diesel::table! {
    orders (id) {
        id -> Int8,
        placed_at -> Timestamptz,
        #[max_length = 1]
        payment_status -> Varchar,
    }
}

diesel::table! {
    product_promotions (id) {
        id -> Int8,
        product_id -> Int8,
        promotion_id -> Int8,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        #[max_length = 255]
        title -> Varchar,
        #[max_length = 50]
        slug -> Varchar,
        description -> Nullable<Text>,
        unit_price -> Numeric,
        inventory -> Int4,
        last_update -> Timestamptz,
        collection_id -> Int8,
    }
}

diesel::table! {
    promotions (id) {
        id -> Int8,
        #[max_length = 255]
        description -> Varchar,
        discount -> Float8,
    }
}

diesel::table! {
    reviews (id) {
        id -> Int8,
        product_id -> Int8,
        #[max_length = 255]
        name -> Varchar,
        description -> Text,
        date -> Date,
    }
}

diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> products (product_id));
diesel::joinable!(product_promotions -> products (product_id));
diesel::joinable!(product_promotions -> promotions (promotion_id));
diesel::joinable!(products -> collections (collection_id));
diesel::joinable!(reviews -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    collections,
    order_items,
    orders,
    product_promotions,
    products,
    promotions,
    reviews,
);
