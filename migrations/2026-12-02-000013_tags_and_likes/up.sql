-- Tags and likes as the course's generic apps: a tagging or a like names its object by
-- content type and id, so any model can be tagged or liked without the apps knowing it.
CREATE TABLE tags (
    id    BIGSERIAL    CONSTRAINT tags_pkey PRIMARY KEY,
    label VARCHAR(255) NOT NULL,
    CONSTRAINT tags_label_key UNIQUE (label)
);

CREATE TABLE tagged_items (
    id              BIGSERIAL CONSTRAINT tagged_items_pkey PRIMARY KEY,
    tag_id          BIGINT    NOT NULL,
    content_type_id INTEGER   NOT NULL,
    object_id       BIGINT    NOT NULL CONSTRAINT tagged_items_object_id_check CHECK (object_id >= 0),
    CONSTRAINT tagged_items_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE,
    CONSTRAINT tagged_items_content_type_id_fkey FOREIGN KEY (content_type_id)
        REFERENCES content_types (id) ON DELETE CASCADE,
    CONSTRAINT tagged_items_tag_object_key UNIQUE (tag_id, content_type_id, object_id)
);
CREATE INDEX tagged_items_object_idx ON tagged_items (content_type_id, object_id);

CREATE TABLE liked_items (
    id              BIGSERIAL   CONSTRAINT liked_items_pkey PRIMARY KEY,
    user_id         BIGINT      NOT NULL,
    content_type_id INTEGER     NOT NULL,
    object_id       BIGINT      NOT NULL CONSTRAINT liked_items_object_id_check CHECK (object_id >= 0),
    liked_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT liked_items_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT liked_items_content_type_id_fkey FOREIGN KEY (content_type_id)
        REFERENCES content_types (id) ON DELETE CASCADE,
    CONSTRAINT liked_items_user_object_key UNIQUE (user_id, content_type_id, object_id)
);
CREATE INDEX liked_items_object_idx ON liked_items (content_type_id, object_id);

-- A deleted product takes its taggings and likes with it (no orphans), whatever deletes it.
CREATE FUNCTION forget_generic_items() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tagged_items ti USING content_types ct
     WHERE ct.id = ti.content_type_id AND ct.app_label = TG_ARGV[0] AND ct.model = TG_ARGV[1]
       AND ti.object_id = OLD.id;
    DELETE FROM liked_items li USING content_types ct
     WHERE ct.id = li.content_type_id AND ct.app_label = TG_ARGV[0] AND ct.model = TG_ARGV[1]
       AND li.object_id = OLD.id;
    RETURN OLD;
END
$$;
CREATE TRIGGER products_forget_generic_items AFTER DELETE ON products
FOR EACH ROW EXECUTE FUNCTION forget_generic_items('store', 'product');

-- Tags show on products: their writes empty the catalogue cache too. Likes do not: a
-- like changes no catalogue answer that is kept (`likesCount` is never cached).
CREATE TRIGGER catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();
CREATE TRIGGER catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tagged_items
FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();
