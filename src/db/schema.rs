// @generated automatically by Diesel CLI.

diesel::table! {
    cart_items (id) {
        id -> Int8,
        cart_id -> Uuid,
        product_id -> Int8,
        quantity -> Int2,
    }
}

diesel::table! {
    carts (id) {
        id -> Uuid,
        user_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        held_until -> Timestamptz,
    }
}

diesel::table! {
    checkout_keys (user_id, key) {
        user_id -> Int8,
        key -> Uuid,
        cart_id -> Uuid,
        order_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    collections (id) {
        id -> Int8,
        #[max_length = 255]
        title -> Varchar,
        featured_product_id -> Nullable<Int8>,
        products_count -> Int8,
    }
}

diesel::table! {
    content_types (id) {
        id -> Int4,
        #[max_length = 100]
        app_label -> Varchar,
        #[max_length = 100]
        model -> Varchar,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        #[max_length = 255]
        phone -> Varchar,
        birth_date -> Nullable<Date>,
        #[max_length = 1]
        membership -> Varchar,
        user_id -> Int8,
    }
}

diesel::table! {
    group_permissions (id) {
        id -> Int8,
        group_id -> Int4,
        permission_id -> Int4,
    }
}

diesel::table! {
    groups (id) {
        id -> Int4,
        #[max_length = 150]
        name -> Varchar,
    }
}

diesel::table! {
    job_history (job_id) {
        job_id -> Int8,
        task -> Text,
        payload -> Jsonb,
        attempts -> Int2,
        max_attempts -> Int2,
        created_at -> Timestamptz,
        run_at -> Timestamptz,
        completed_at -> Timestamptz,
    }
}

diesel::table! {
    liked_items (id) {
        id -> Int8,
        user_id -> Int8,
        content_type_id -> Int4,
        object_id -> Int8,
        liked_at -> Timestamptz,
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
    invoice_years (year) {
        year -> Int4,
        last_seq -> Int4,
    }
}

diesel::table! {
    invoices (id) {
        id -> Int8,
        order_id -> Nullable<Int8>,
        year -> Int4,
        seq -> Int4,
        number -> Text,
        issued_at -> Timestamptz,
        pdf -> Nullable<Bytea>,
        rendered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    orders (id) {
        id -> Int8,
        placed_at -> Timestamptz,
        #[max_length = 1]
        payment_status -> Varchar,
        customer_id -> Int8,
        confirmation_sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Int8,
        user_id -> Int8,
        #[max_length = 64]
        token_hash -> Varchar,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    permissions (id) {
        id -> Int4,
        #[max_length = 255]
        name -> Varchar,
        content_type_id -> Int4,
        #[max_length = 100]
        codename -> Varchar,
    }
}

diesel::table! {
    product_images (id) {
        id -> Int8,
        product_id -> Int8,
        #[max_length = 255]
        image -> Varchar,
        width -> Int4,
        height -> Int4,
        created_at -> Timestamptz,
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
        discount -> Numeric,
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
        user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Int8,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (jti) {
        #[max_length = 64]
        jti -> Varchar,
        session_id -> Uuid,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Int8,
        #[max_length = 150]
        account -> Varchar,
        #[max_length = 64]
        address -> Varchar,
        failed_at -> Timestamptz,
    }
}

diesel::table! {
    sign_in_locks (account, address) {
        #[max_length = 150]
        account -> Varchar,
        #[max_length = 64]
        address -> Varchar,
        locked_until -> Timestamptz,
        strikes -> Int4,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor_id -> Nullable<Int8>,
        #[max_length = 64]
        action -> Varchar,
        #[max_length = 64]
        target_type -> Varchar,
        target_id -> Int8,
        #[max_length = 64]
        request_id -> Nullable<Varchar>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tagged_items (id) {
        id -> Int8,
        tag_id -> Int8,
        content_type_id -> Int4,
        object_id -> Int8,
    }
}

diesel::table! {
    tags (id) {
        id -> Int8,
        #[max_length = 255]
        label -> Varchar,
    }
}

diesel::table! {
    user_groups (id) {
        id -> Int8,
        user_id -> Int8,
        group_id -> Int4,
    }
}

diesel::table! {
    user_permissions (id) {
        id -> Int8,
        user_id -> Int8,
        permission_id -> Int4,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        #[max_length = 255]
        password -> Varchar,
        last_login -> Nullable<Timestamptz>,
        is_superuser -> Bool,
        #[max_length = 150]
        username -> Varchar,
        #[max_length = 150]
        first_name -> Varchar,
        #[max_length = 150]
        last_name -> Varchar,
        #[max_length = 254]
        email -> Varchar,
        is_staff -> Bool,
        is_active -> Bool,
        date_joined -> Timestamptz,
    }
}

diesel::joinable!(cart_items -> carts (cart_id));
diesel::joinable!(cart_items -> products (product_id));
diesel::joinable!(carts -> users (user_id));
diesel::joinable!(customers -> users (user_id));
diesel::joinable!(group_permissions -> groups (group_id));
diesel::joinable!(group_permissions -> permissions (permission_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> products (product_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(permissions -> content_types (content_type_id));
diesel::joinable!(product_images -> products (product_id));
diesel::joinable!(product_promotions -> products (product_id));
diesel::joinable!(product_promotions -> promotions (promotion_id));
diesel::joinable!(products -> collections (collection_id));
diesel::joinable!(reviews -> products (product_id));
diesel::joinable!(reviews -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(checkout_keys -> orders (order_id));
diesel::joinable!(invoices -> orders (order_id));
diesel::joinable!(tagged_items -> tags (tag_id));
diesel::joinable!(tagged_items -> content_types (content_type_id));
diesel::joinable!(liked_items -> users (user_id));
diesel::joinable!(liked_items -> content_types (content_type_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(user_groups -> groups (group_id));
diesel::joinable!(user_groups -> users (user_id));
diesel::joinable!(user_permissions -> permissions (permission_id));
diesel::joinable!(user_permissions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    cart_items,
    carts,
    checkout_keys,
    collections,
    content_types,
    customers,
    group_permissions,
    groups,
    invoice_years,
    invoices,
    job_history,
    liked_items,
    order_items,
    orders,
    password_resets,
    permissions,
    product_images,
    product_promotions,
    products,
    promotions,
    refresh_tokens,
    reviews,
    sessions,
    sign_in_failures,
    sign_in_locks,
    tagged_items,
    tags,
    user_groups,
    user_permissions,
    users,
);
