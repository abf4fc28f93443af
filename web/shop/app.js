// The storefront: a single-page app over the public GraphQL API. Routes are hashes
// (#/, #/product/1, #/cart, #/signin, #/register, #/orders, #/order/1), so the server
// serves one page. The guest cart's id is kept in local storage and claimed (merged) on
// sign-in.
import { ApiError, el, makeApi, money, showErrors } from "../common/api.js";

const api = makeApi("storefront.tokens");
const CART = "storefront.cart";
const view = document.getElementById("view");
let cleanups = [];

const cartId = () => localStorage.getItem(CART);
const setCart = (id) => (id ? localStorage.setItem(CART, id) : localStorage.removeItem(CART));

const PRODUCTS = `query($first: Int, $after: String, $search: String, $collectionId: Int, $gt: Money, $lt: Money, $orderBy: [ProductOrder!]) {
  products(first: $first, after: $after, search: $search, collectionId: $collectionId, unitPriceGt: $gt, unitPriceLt: $lt, orderBy: $orderBy) {
    nodes { id title unitPrice availableInventory images(first: 1) { url } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const CART_QUERY = `query($id: UUID!) { cart(id: $id) { id totalPrice itemsCount holdExpiresAt
  items { id quantity totalPrice product { id title unitPrice } } } }`;
const ADD = "mutation($c: UUID!, $p: Int!, $q: Int!) { addCartItem(cartId: $c, productId: $p, quantity: $q) { id } }";

function banner(error) {
  return el("p", { class: "error", role: "alert" }, error instanceof ApiError ? error.message : String(error));
}

async function refreshHeader() {
  const signedIn = api.signedIn();
  document.getElementById("sign-in-link").hidden = signedIn;
  document.getElementById("sign-out-link").hidden = !signedIn;
  document.getElementById("orders-link").hidden = !signedIn;
  let count = 0;
  if (cartId()) {
    try {
      count = (await api.query("query($id: UUID!) { cart(id: $id) { itemsCount } }", { id: cartId() })).cart.itemsCount;
    } catch (error) {
      if (error.code === "NOT_FOUND") setCart(null);
    }
  }
  document.getElementById("cart-count").textContent = count;
}

/** The cart to add to: the stored one, the signed-in user's, or a new one. */
async function ensureCart() {
  if (cartId()) return cartId();
  const data = await api.mutate("mutation { createCart { id } }");
  setCart(data.createCart.id);
  return data.createCart.id;
}

async function addToCart(productId, button) {
  button.disabled = true;
  button.parentElement.querySelector(".error")?.remove();
  try {
    const id = await ensureCart();
    await api.mutate(ADD, { c: id, p: productId, q: 1 }).catch(async (error) => {
      if (error.code !== "NOT_FOUND") throw error;
      setCart(null); // the stored cart is gone (ordered, expired): start a new one
      await api.mutate(ADD, { c: await ensureCart(), p: productId, q: 1 });
    });
    button.textContent = "Added ✓";
    await refreshHeader();
  } catch (error) {
    button.after(banner(error));
  } finally {
    button.disabled = false;
  }
}

function productCard(product) {
  const image = product.images[0];
  const add = el("button", { testid: "add-to-cart", disabled: product.availableInventory < 1 }, "Add to cart");
  add.addEventListener("click", () => addToCart(product.id, add));
  return el(
    "article",
    { class: "card", testid: "product-card", "data-product-id": product.id },
    image ? el("img", { src: image.url, alt: "", loading: "lazy" }) : null,
    el("a", { href: `#/product/${product.id}`, testid: "product-title" }, product.title),
    el("span", { class: "price" }, money(product.unitPrice)),
    el("span", { class: "muted" }, product.availableInventory > 0 ? `${product.availableInventory} available` : "Sold out"),
    add,
  );
}

async function catalog() {
  const { collections } = await api.query("{ collections { id title } }");
  const form = el(
    "form",
    { class: "filters", role: "search" },
    el("input", { name: "search", type: "search", placeholder: "Search", "aria-label": "Search" }),
    el("select", { name: "collectionId", "aria-label": "Collection" }, el("option", { value: "" }, "All collections"), collections.map((c) => el("option", { value: c.id }, c.title))),
    el("input", { name: "gt", type: "number", min: "0", step: "0.01", placeholder: "Min price", "aria-label": "Min price" }),
    el("input", { name: "lt", type: "number", min: "0", step: "0.01", placeholder: "Max price", "aria-label": "Max price" }),
    el("select", { name: "orderBy", "aria-label": "Order" }, [["TITLE", "Title"], ["UNIT_PRICE", "Price: low to high"], ["UNIT_PRICE_DESC", "Price: high to low"], ["LAST_UPDATE_DESC", "Newest"]].map(([v, t]) => el("option", { value: v }, t))),
    el("button", { type: "submit" }, "Apply"),
  );
  const grid = el("div", { class: "grid" });
  const more = el("button", { testid: "load-more", class: "secondary", hidden: true }, "Load more");
  const status = el("div");
  let after = null;
  const variables = () => {
    const values = Object.fromEntries(new FormData(form));
    return {
      first: 12,
      after,
      search: values.search || null,
      collectionId: values.collectionId ? Number(values.collectionId) : null,
      gt: values.gt || null,
      lt: values.lt || null,
      orderBy: [values.orderBy],
    };
  };
  const load = async (reset) => {
    if (reset) {
      after = null;
      grid.replaceChildren();
    }
    status.replaceChildren();
    try {
      const { products } = await api.query(PRODUCTS, variables());
      grid.append(...products.nodes.map(productCard));
      after = products.pageInfo.endCursor;
      more.hidden = !products.pageInfo.hasNextPage;
      if (!grid.children.length) status.append(el("p", { class: "muted" }, "No products match."));
    } catch (error) {
      showErrors(form, error);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener("click", () => load(false));
  view.replaceChildren(el("h1", {}, "Products"), form, grid, status, more);
  await load(true);
}

async function productPage(id) {
  const { product } = await api.query(
    `query($id: Int!) { product(id: $id) { id title description unitPrice availableInventory inventoryStatus likesCount viewerHasLiked
      collection { title } images { url } tags { label } reviews(first: 10) { name description date } } }`,
    { id: Number(id) },
  );
  const add = el("button", { testid: "add-to-cart", disabled: product.availableInventory < 1 }, "Add to cart");
  add.addEventListener("click", () => addToCart(product.id, add));
  const like = el("button", { class: "secondary", hidden: !api.signedIn() }, product.viewerHasLiked ? "Unlike" : "Like");
  like.addEventListener("click", async () => {
    const name = product.viewerHasLiked ? "unlikeProduct" : "likeProduct";
    const data = await api.mutate(`mutation($id: Int!) { ${name}(productId: $id) { likesCount viewerHasLiked } }`, { id: product.id });
    Object.assign(product, data[name]);
    like.textContent = product.viewerHasLiked ? "Unlike" : "Like";
    likes.textContent = `${product.likesCount} likes`;
  });
  const likes = el("span", { class: "muted" }, `${product.likesCount} likes`);
  view.replaceChildren(
    el(
      "article",
      { class: "product", "data-product-id": product.id },
      el("p", {}, el("a", { href: "#/" }, "← Products")),
      el("h1", { testid: "product-title" }, product.title),
      product.images.map((image) => el("img", { src: image.url, alt: product.title, testid: "product-image" })),
      el("p", { class: "price" }, money(product.unitPrice)),
      el("p", { class: "muted" }, `${product.collection.title} · ${product.availableInventory > 0 ? `${product.availableInventory} available` : "Sold out"}`),
      el("p", {}, product.description || ""),
      el("div", { class: "tags" }, product.tags.map((tag) => el("span", {}, tag.label))),
      el("p", {}, add, " ", like, " ", likes),
      el("h2", {}, "Reviews"),
      product.reviews.length
        ? product.reviews.map((r) => el("blockquote", {}, el("p", {}, r.description), el("footer", { class: "muted" }, `${r.name}, ${r.date}`)))
        : el("p", { class: "muted" }, "No reviews yet."),
    ),
  );
}

function countdown(until, node) {
  const tick = () => {
    const left = Math.max(0, Math.round((new Date(until) - Date.now()) / 1000));
    node.textContent = left > 0 ? `Your items are held for ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}.` : "The hold has expired: items are no longer reserved.";
  };
  tick();
  const timer = setInterval(tick, 1000);
  cleanups.push(() => clearInterval(timer));
}

async function cartPage() {
  if (!cartId()) {
    view.replaceChildren(el("h1", {}, "Cart"), el("p", {}, "Your cart is empty. ", el("a", { href: "#/" }, "Browse products")));
    return;
  }
  let cart;
  try {
    cart = (await api.query(CART_QUERY, { id: cartId() })).cart;
  } catch (error) {
    if (error.code !== "NOT_FOUND") throw error;
    setCart(null);
    return cartPage();
  }
  const change = async (node, document, variables) => {
    node.querySelector(".error")?.remove();
    try {
      await api.mutate(document, { c: cart.id, ...variables });
      await refreshHeader();
      await cartPage();
    } catch (error) {
      node.append(banner(error));
    }
  };
  const lines = cart.items.map((item) => {
    const line = el("div", { class: "line", testid: "cart-line", "data-product-id": item.product.id });
    const increase = el("button", { testid: "line-increase", class: "secondary", "aria-label": `One more ${item.product.title}` }, "+");
    const decrease = el("button", { testid: "line-decrease", class: "secondary", "aria-label": `One less ${item.product.title}` }, "−");
    const remove = el("button", { class: "secondary" }, "Remove");
    increase.addEventListener("click", () => change(line, ADD, { p: item.product.id, q: 1 }));
    decrease.addEventListener("click", () => change(line, "mutation($c: UUID!, $id: Int!) { decrementCartItem(cartId: $c, id: $id) { id } }", { id: item.id }));
    remove.addEventListener("click", () => change(line, "mutation($c: UUID!, $id: Int!) { deleteCartItem(cartId: $c, id: $id) }", { id: item.id }));
    line.append(
      el("a", { class: "title", href: `#/product/${item.product.id}` }, item.product.title),
      el("span", { class: "muted" }, money(item.product.unitPrice)),
      el("span", { class: "qty" }, decrease, el("span", { testid: "line-quantity" }, item.quantity), increase),
      el("span", { class: "price" }, money(item.totalPrice)),
      remove,
    );
    return line;
  });
  const hold = el("p", { class: "muted" });
  if (cart.items.length) countdown(cart.holdExpiresAt, hold);
  const checkout = el("button", { testid: "checkout", disabled: !cart.items.length }, api.signedIn() ? "Place order" : "Sign in to check out");
  const area = el("div");
  checkout.addEventListener("click", () => placeOrder(cart.id, area, checkout));
  view.replaceChildren(
    el("h1", {}, "Cart"),
    cart.items.length ? el("div", {}, lines) : el("p", {}, "Your cart is empty."),
    el("p", { class: "total" }, "Total: ", el("span", { testid: "cart-total", "data-value": money(cart.totalPrice) }, money(cart.totalPrice))),
    hold,
    checkout,
    area,
  );
}

/** createOrder with an idempotency key kept until it succeeds (a retry after a lost answer gets the same order). */
async function placeOrder(id, area, button) {
  if (!api.signedIn()) {
    location.hash = "#/signin";
    return;
  }
  const saved = JSON.parse(sessionStorage.getItem("storefront.checkout") || "null");
  const key = saved && saved.cart === id ? saved.key : crypto.randomUUID();
  sessionStorage.setItem("storefront.checkout", JSON.stringify({ cart: id, key }));
  button.disabled = true;
  area.replaceChildren();
  try {
    const { createOrder } = await api.mutate("mutation($c: UUID!, $k: UUID) { createOrder(cartId: $c, idempotencyKey: $k) { id } }", { c: id, k: key });
    sessionStorage.removeItem("storefront.checkout");
    setCart(null);
    await refreshHeader();
    location.hash = `#/order/${createOrder.id}`;
  } catch (error) {
    area.append(banner(error));
    button.disabled = false;
  }
}

const ORDER_FIELDS = "id placedAt paymentStatus totalPrice";

async function orderPage(id) {
  const { order } = await api.query(
    `query($id: Int!) { order(id: $id) { ${ORDER_FIELDS} items { quantity unitPrice product { title } } invoice { number url } } }`,
    { id: Number(id) },
  );
  const invoice = el("button", { class: "secondary", hidden: !order.invoice }, order.invoice ? `Invoice ${order.invoice.number} (PDF)` : "");
  invoice.addEventListener("click", async () => {
    const response = await api.fetch(new URL(order.invoice.url).pathname);
    if (response.ok) window.open(URL.createObjectURL(await response.blob()), "_blank");
  });
  view.replaceChildren(
    el(
      "section",
      { testid: "order-confirmation", "data-order-id": order.id },
      el("h1", {}, `Thank you! Order #${order.id} is placed.`),
      el("table", {}, el("tr", {}, el("th", {}, "Product"), el("th", {}, "Qty"), el("th", {}, "Price")), order.items.map((item) => el("tr", {}, el("td", {}, item.product.title), el("td", {}, item.quantity), el("td", {}, money(item.unitPrice))))),
      el("p", { class: "total" }, `Total: ${money(order.totalPrice)}`),
      el("p", {}, "Payment: ", el("span", { testid: "order-status", class: `status-${order.paymentStatus}` }, order.paymentStatus)),
      invoice,
      el("p", {}, el("a", { href: "#/orders" }, "My orders")),
    ),
  );
}

async function ordersPage() {
  if (!api.signedIn()) {
    location.hash = "#/signin";
    return;
  }
  const { orders } = await api.query(`{ orders(first: 50) { nodes { ${ORDER_FIELDS} } } }`);
  const list = el("table", { testid: "my-orders" }, el("tr", {}, el("th", {}, "Order"), el("th", {}, "Placed"), el("th", {}, "Total"), el("th", {}, "Payment")));
  const row = (order) =>
    el(
      "tr",
      { "data-order-id": order.id },
      el("td", {}, el("a", { href: `#/order/${order.id}` }, `#${order.id}`)),
      el("td", {}, new Date(order.placedAt).toLocaleString()),
      el("td", {}, money(order.totalPrice)),
      el("td", {}, el("span", { testid: "order-status", class: `status-${order.paymentStatus}` }, order.paymentStatus)),
    );
  list.append(...orders.nodes.map(row));
  view.replaceChildren(el("h1", {}, "My orders"), list, el("p", { class: "muted" }, "Statuses update live."));
  // Placed and paid orders arrive over the myOrderUpdated subscription.
  cleanups.push(
    api.subscribe(`subscription { myOrderUpdated { ${ORDER_FIELDS} } }`, ({ myOrderUpdated: order }) => {
      const fresh = row(order);
      const old = list.querySelector(`tr[data-order-id="${order.id}"]`);
      if (old) old.replaceWith(fresh);
      else list.querySelector("tr").after(fresh);
    }),
  );
}

function credentialsForm(title, fields, submitText, onSubmit) {
  const form = el(
    "form",
    { class: "stack", novalidate: true },
    el("h1", {}, title),
    fields.map(([name, label, type, testid]) => el("label", {}, label, el("input", { name, type, testid, autocomplete: name === "password" ? "current-password" : name }))),
    el("button", { type: "submit", testid: "sign-in-submit" }, submitText),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await onSubmit(Object.fromEntries(new FormData(form)));
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** After sign-in: the guest cart is claimed (merged into the user's cart), else the user's own cart is used. */
async function afterSignIn() {
  if (cartId()) {
    try {
      const { claimCart } = await api.mutate("mutation($c: UUID!) { claimCart(cartId: $c) { id } }", { c: cartId() });
      setCart(claimCart.id);
    } catch (error) {
      if (error.code !== "NOT_FOUND") throw error;
      setCart(null);
    }
  }
  if (!cartId()) {
    const { myCart } = await api.query("{ myCart { id } }");
    setCart(myCart?.id);
  }
  await refreshHeader();
  location.hash = cartId() ? "#/cart" : "#/";
}

function signInPage() {
  const form = credentialsForm("Sign in", [["username", "Username", "text", "username"], ["password", "Password", "password", "password"]], "Sign in", async ({ username, password }) => {
    await api.signIn(username, password);
    await afterSignIn();
  });
  view.replaceChildren(form, el("p", {}, "New here? ", el("a", { href: "#/register" }, "Create an account")));
}

function registerPage() {
  const fields = [["username", "Username", "text"], ["email", "E-mail", "email"], ["firstName", "First name", "text"], ["lastName", "Last name", "text"], ["password", "Password", "password"]];
  const form = credentialsForm("Create an account", fields, "Create account", async (input) => {
    await api.mutate("mutation($input: RegisterInput!) { register(input: $input) { id } }", { input });
    await api.signIn(input.username, input.password);
    await afterSignIn();
  });
  view.replaceChildren(form);
}

async function render() {
  cleanups.forEach((cleanup) => cleanup());
  cleanups = [];
  const [, name, id] = location.hash.split("/");
  const pages = { "": catalog, product: () => productPage(id), cart: cartPage, signin: signInPage, register: registerPage, order: () => orderPage(id), orders: ordersPage };
  try {
    await (pages[name || ""] || catalog)();
  } catch (error) {
    view.replaceChildren(banner(error));
  }
}

document.getElementById("sign-out-link").addEventListener("click", async (event) => {
  event.preventDefault();
  await api.signOut();
  setCart(null);
  await refreshHeader();
  location.hash = "#/";
  render();
});
window.addEventListener("hashchange", render);
refreshHeader();
render();
