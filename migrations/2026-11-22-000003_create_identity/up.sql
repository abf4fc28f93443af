-- Users, groups and Django-style model permissions (spec part B §2.4, §2.8, §7).

CREATE TABLE content_types (
    id        SERIAL       CONSTRAINT content_types_pkey PRIMARY KEY,
    app_label VARCHAR(100) NOT NULL,
    model     VARCHAR(100) NOT NULL,
    CONSTRAINT content_types_app_label_model_key UNIQUE (app_label, model)
);

CREATE TABLE permissions (
    id              SERIAL       CONSTRAINT permissions_pkey PRIMARY KEY,
    name            VARCHAR(255) NOT NULL,
    content_type_id INTEGER      NOT NULL,
    codename        VARCHAR(100) NOT NULL,
    CONSTRAINT permissions_content_type_id_fkey FOREIGN KEY (content_type_id)
        REFERENCES content_types (id) ON DELETE CASCADE,
    CONSTRAINT permissions_content_type_id_codename_key UNIQUE (content_type_id, codename)
);

CREATE TABLE groups (
    id   SERIAL       CONSTRAINT groups_pkey PRIMARY KEY,
    name VARCHAR(150) NOT NULL,
    CONSTRAINT groups_name_key UNIQUE (name),
    CONSTRAINT groups_name_not_blank CHECK (btrim(name) <> '')
);

CREATE TABLE group_permissions (
    id            BIGSERIAL CONSTRAINT group_permissions_pkey PRIMARY KEY,
    group_id      INTEGER   NOT NULL,
    permission_id INTEGER   NOT NULL,
    CONSTRAINT group_permissions_group_id_fkey FOREIGN KEY (group_id)
        REFERENCES groups (id) ON DELETE CASCADE,
    CONSTRAINT group_permissions_permission_id_fkey FOREIGN KEY (permission_id)
        REFERENCES permissions (id) ON DELETE CASCADE,
    CONSTRAINT group_permissions_group_id_permission_id_key UNIQUE (group_id, permission_id)
);

CREATE TABLE users (
    id           BIGSERIAL    CONSTRAINT users_pkey PRIMARY KEY,
    password     VARCHAR(255) NOT NULL,
    last_login   TIMESTAMPTZ  NULL,
    is_superuser BOOLEAN      NOT NULL DEFAULT false,
    username     VARCHAR(150) NOT NULL,
    first_name   VARCHAR(150) NOT NULL DEFAULT '',
    last_name    VARCHAR(150) NOT NULL DEFAULT '',
    email        VARCHAR(254) NOT NULL,
    is_staff     BOOLEAN      NOT NULL DEFAULT false,
    is_active    BOOLEAN      NOT NULL DEFAULT true,
    date_joined  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_not_blank CHECK (btrim(username) <> '')
);
-- Addresses differing only in case belong to the same mailbox owner.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_names_idx ON users (first_name, last_name, id);

CREATE TABLE user_groups (
    id       BIGSERIAL CONSTRAINT user_groups_pkey PRIMARY KEY,
    user_id  BIGINT    NOT NULL,
    group_id INTEGER   NOT NULL,
    CONSTRAINT user_groups_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_groups_group_id_fkey FOREIGN KEY (group_id)
        REFERENCES groups (id) ON DELETE CASCADE,
    CONSTRAINT user_groups_user_id_group_id_key UNIQUE (user_id, group_id)
);
CREATE INDEX user_groups_group_id_idx ON user_groups (group_id);

CREATE TABLE user_permissions (
    id            BIGSERIAL CONSTRAINT user_permissions_pkey PRIMARY KEY,
    user_id       BIGINT    NOT NULL,
    permission_id INTEGER   NOT NULL,
    CONSTRAINT user_permissions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_permissions_permission_id_fkey FOREIGN KEY (permission_id)
        REFERENCES permissions (id) ON DELETE CASCADE,
    CONSTRAINT user_permissions_user_id_permission_id_key UNIQUE (user_id, permission_id)
);

-- The permission catalogue (PERM-01..03): four built-ins per model plus the custom ones.
INSERT INTO content_types (app_label, model) VALUES
    ('auth', 'group'), ('auth', 'permission'), ('core', 'user'),
    ('store', 'cart'), ('store', 'cartitem'), ('store', 'collection'), ('store', 'customer'),
    ('store', 'order'), ('store', 'orderitem'), ('store', 'product'), ('store', 'productimage'),
    ('store', 'promotion'), ('store', 'review');

INSERT INTO permissions (name, content_type_id, codename)
SELECT format('Can %s %s', action,
              CASE ct.model WHEN 'cartitem' THEN 'cart item' WHEN 'orderitem' THEN 'order item'
                            WHEN 'productimage' THEN 'product image' ELSE ct.model END),
       ct.id, action || '_' || ct.model
FROM content_types ct
CROSS JOIN (VALUES ('add'), ('change'), ('delete'), ('view')) AS actions(action);

INSERT INTO permissions (name, content_type_id, codename)
SELECT 'Can view history', id, 'view_history' FROM content_types
WHERE app_label = 'store' AND model = 'customer';
INSERT INTO permissions (name, content_type_id, codename)
SELECT 'Can cancel order', id, 'cancel_order' FROM content_types
WHERE app_label = 'store' AND model = 'order';
