#!/usr/bin/env bash
# Cart and order reads against a running Storefront, with oha (`cargo install oha@1.16.0
# --locked`) and jq: signs in as a customer, places three orders of two lines each, fills
# one more cart with three lines, then drives
#   cart(id)         { items { quantity totalPrice product { title unitPrice } } totalPrice }
#   orders(first: 20){ nodes { id placedAt totalPrice items { quantity unitPrice product { title } } } }
# at concurrency 8 and prints requests/s, p50 and p99 of each.
#
#   loadtest/cart-order-reads.sh [URL] [SECONDS]     (defaults: http://127.0.0.1:8000, 10)
#
# CUSTOMER=user:password picks the account (default: the embedded default's `demo`).
# Start the service with RATE_LIMITS=off, as for the load test.
set -euo pipefail
URL="${1:-http://127.0.0.1:8000}/graphql"
SECONDS_PER_RUN="${2:-10}"
IFS=: read -r USER_NAME PASSWORD <<<"${CUSTOMER:-demo:storefront-demo}"

gql() { # gql TOKEN QUERY VARIABLES -> data (fails on errors)
  local auth=() body
  [ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
  body="$(curl -sf "$URL" -H 'content-type: application/json' "${auth[@]}" \
    -d "$(jq -nc --arg q "$2" --argjson v "$3" '{query: $q, variables: $v}')")"
  if jq -e '.errors' >/dev/null <<<"$body"; then echo "$body" >&2; return 1; fi
  jq -c '.data' <<<"$body"
}

TOKEN="$(gql "" 'mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }' \
  "$(jq -nc --arg u "$USER_NAME" --arg p "$PASSWORD" '{u: $u, p: $p}')" | jq -r '.createToken.access')"

fill_cart() { # fill_cart LINES -> cart id
  local cart added=0 product=1
  cart="$(gql "$TOKEN" 'mutation { createCart { id } }' '{}' | jq -r '.createCart.id')"
  while [ "$added" -lt "$1" ] && [ "$product" -le 1000 ]; do
    if gql "$TOKEN" 'mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p) { id } }' \
      "{\"c\": \"$cart\", \"p\": $product}" >/dev/null 2>&1; then added=$((added + 1)); fi
    product=$((product + 7))
  done
  echo "$cart"
}

for _ in 1 2 3; do
  gql "$TOKEN" 'mutation($c: UUID!) { createOrder(cartId: $c) { id } }' "{\"c\": \"$(fill_cart 2)\"}" >/dev/null
done
CART="$(fill_cart 3)"

run() { # run NAME BODY [AUTH]
  local out
  out="$(oha -z "${SECONDS_PER_RUN}s" -c 8 --no-tui --output-format json -m POST \
    -H 'content-type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2" "$URL")"
  jq -r --arg name "$1" '"\($name): \(.summary.requestsPerSec | floor) rps, p50 \(.latencyPercentiles.p50 * 1000 * 100 | floor / 100) ms, p99 \(.latencyPercentiles.p99 * 1000 * 100 | floor / 100) ms, non-200: \([.statusCodeDistribution | to_entries[] | select(.key != "200") | .value] | add // 0)"' <<<"$out"
}

CART_QUERY='query($id: UUID!) { cart(id: $id) { items { quantity totalPrice product { title unitPrice } } totalPrice } }'
ORDERS_QUERY='{ orders(first: 20) { nodes { id placedAt totalPrice items { quantity unitPrice product { title } } } } }'
run "cart(id) with 3 lines" "$(jq -nc --arg q "$CART_QUERY" --arg id "$CART" '{query: $q, variables: {id: $id}}')" "$TOKEN"
run "orders(first: 20) with items" "$(jq -nc --arg q "$ORDERS_QUERY" '{query: $q}')" "$TOKEN"
