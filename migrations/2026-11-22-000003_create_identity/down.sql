DROP TABLE user_permissions;
DROP TABLE user_groups;
DROP TABLE users;
DROP TABLE group_permissions;
DROP TABLE groups;
DROP TABLE permissions;
DROP TABLE content_types;
