-- migrate:up
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, total numeric(10,2));
CREATE INDEX ix_orders_customer_id ON orders (customer_id);
-- migrate:down
DROP TABLE orders;
DROP TABLE customers;
