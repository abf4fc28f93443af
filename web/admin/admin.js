// The staff admin (the course's admin chapter) over the staff GraphQL operations:
// products (10 a page, search, filters, editable price, "Clear inventory"), a product's
// images, tags and promotions, collections, customers, orders, and new orders live.
// Routes: #/ (products; ?collection=ID&search=…), #/product/ID, #/collections,
// #/customers, #/orders (?customer=ID).
import { el, makeApi, money, showErrors } from "../common/api.js";

const api = makeApi("storefront.admin.tokens");
const view = document.getElementById("view");

const route = () => {
  const [path, query] = location.hash.slice(1).split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
};

function signInPage() {
  const form = el(
    "form",
    { class: "stack" },
    el("h1", {}, "Staff sign-in"),
    el("label", {}, "Username", el("input", { name: "username", testid: "admin-username", required: true, autocomplete: "username" })),
    el("label", {}, "Password", el("input", { name: "password", type: "password", testid: "admin-password", required: true, autocomplete: "current-password" })),
    el("button", { type: "submit", testid: "admin-sign-in" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { username, password } = Object.fromEntries(new FormData(form));
    try {
      await api.signIn(username, password);
      const { me } = await api.query("{ me { isStaff } }");
      if (!me.isStaff) {
        await api.signOut();
        throw new Error("This account is not a staff account.");
      }
      start();
    } catch (error) {
      showErrors(form, error);
    }
  });
  view.replaceChildren(form);
}

const PRODUCTS = `query($first: Int, $after: String, $last: Int, $before: String, $search: String, $collectionId: Int, $inventoryStatus: InventoryStatus, $lastUpdate: LastUpdateFilter) {
  products(first: $first, after: $after, last: $last, before: $before, search: $search, collectionId: $collectionId, inventoryStatus: $inventoryStatus, lastUpdate: $lastUpdate, orderBy: [TITLE]) {
    totalCount nodes { id title unitPrice inventory inventoryStatus collection { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

async function productsPage(params) {
  const { collections } = await api.query("{ collections { id title } }");
  const choose = (name, label, options) =>
    el("select", { name, "aria-label": label }, el("option", { value: "" }, label), options.map(([value, text]) => el("option", { value, selected: params.get(name) === String(value) }, text)));
  const filters = el(
    "form",
    { class: "filters" },
    el("input", { name: "search", type: "search", placeholder: "Search", value: params.get("search") || "", "aria-label": "Search" }),
    choose("collection", "All collections", collections.map((c) => [c.id, c.title])),
    choose("lastUpdate", "Any update", [["TODAY", "Today"], ["PAST_7_DAYS", "Past 7 days"], ["THIS_MONTH", "This month"], ["THIS_YEAR", "This year"]]),
    choose("inventory", "Any inventory", [["LOW", "Low"], ["OK", "OK"]]),
    el("button", { type: "submit" }, "Filter"),
  );
  const message = el("p", { class: "message", testid: "admin-message", role: "status" });
  const table = el("table");
  const pager = el("p");
  const clear = el("button", { testid: "clear-inventory" }, "Clear inventory");
  const values = Object.fromEntries(new FormData(filters));
  const base = {
    search: values.search || null,
    collectionId: values.collection ? Number(values.collection) : null,
    lastUpdate: values.lastUpdate || null,
    inventoryStatus: values.inventory || null,
  };
  const load = async (page) => {
    const { products } = await api.query(PRODUCTS, { ...base, ...page });
    table.replaceChildren(
      el("tr", {}, el("th", {}, ""), el("th", {}, "Title"), el("th", {}, "Price"), el("th", {}, "Inventory"), el("th", {}, "Collection")),
      ...products.nodes.map(productRow),
    );
    const prev = el("button", { class: "secondary", disabled: !products.pageInfo.hasPreviousPage }, "← Previous");
    const next = el("button", { class: "secondary", disabled: !products.pageInfo.hasNextPage }, "Next →");
    prev.addEventListener("click", () => load({ last: 10, before: products.pageInfo.startCursor }));
    next.addEventListener("click", () => load({ first: 10, after: products.pageInfo.endCursor }));
    pager.replaceChildren(prev, " ", next, el("span", { class: "muted" }, ` ${products.totalCount} products`));
  };
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(filters));
    const query = new URLSearchParams(Object.entries(form).filter(([, v]) => v));
    location.hash = `#/?${query}`;
  });
  clear.addEventListener("click", async () => {
    const ids = [...table.querySelectorAll("[data-testid=select-product]:checked")].map((box) => Number(box.value));
    const { clearInventory } = await api.mutate("mutation($ids: [Int!]!) { clearInventory(productIds: $ids) { updatedCount message } }", { ids });
    message.textContent = clearInventory.message;
    await load({ first: 10 });
  });
  view.replaceChildren(el("h1", {}, "Products"), filters, el("p", {}, clear), message, table, pager);
  await load({ first: 10 });
}

function productRow(product) {
  const price = el("input", { name: "unitPrice", type: "number", step: "0.01", min: "0", value: money(product.unitPrice), "aria-label": `Price of ${product.title}`, style: "width: 7rem" });
  const cell = el("td", {}, price);
  price.addEventListener("change", async () => {
    cell.querySelector(".field-error")?.remove();
    try {
      await api.mutate("mutation($id: Int!, $p: Money!) { patchProduct(id: $id, input: { unitPrice: $p }) { id } }", { id: product.id, p: price.value });
    } catch (error) {
      showErrors(cell, error);
    }
  });
  return el(
    "tr",
    { testid: "admin-product-row", "data-product-id": product.id },
    el("td", {}, el("input", { type: "checkbox", testid: "select-product", value: product.id, "aria-label": `Select ${product.title}` })),
    el("td", {}, el("a", { href: `#/product/${product.id}` }, product.title)),
    cell,
    el("td", { class: product.inventoryStatus === "LOW" ? "error" : "" }, `${product.inventoryStatus} (${product.inventory})`),
    el("td", {}, product.collection.title),
  );
}

async function productPage(id) {
  const { product } = await api.query(
    `query($id: Int!) { product(id: $id) { id title unitPrice inventory description images { id url } tags { id label } promotions { id description discount } } }`,
    { id: Number(id) },
  );
  const form = el(
    "form",
    { class: "stack" },
    el("label", {}, "Title", el("input", { name: "title", value: product.title })),
    el("label", {}, "Price", el("input", { name: "unitPrice", type: "number", step: "0.01", value: money(product.unitPrice) })),
    el("label", {}, "Inventory", el("input", { name: "inventory", type: "number", value: product.inventory })),
    el("button", { type: "submit" }, "Save"),
  );
  const saved = el("p", { class: "message", testid: "admin-message", role: "status" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = Object.fromEntries(new FormData(form));
    input.inventory = Number(input.inventory);
    try {
      await api.mutate("mutation($id: Int!, $input: ProductPatch!) { patchProduct(id: $id, input: $input) { id } }", { id: product.id, input });
      saved.textContent = "The product was changed successfully.";
    } catch (error) {
      showErrors(form, error);
    }
  });
  const upload = el("input", { type: "file", accept: "image/*", testid: "image-upload", name: "image", "aria-label": "Upload an image" });
  const uploads = el("form", { class: "stack" }, el("h2", {}, "Images"), el("div", {}, product.images.map((image) => el("img", { src: image.url, alt: "", width: 120 }))), upload);
  upload.addEventListener("change", async () => {
    try {
      await api.upload("mutation($id: Int!, $f: Upload!) { uploadProductImage(productId: $id, image: $f) { id } }", { id: product.id }, "f", upload.files[0]);
      await productPage(id);
      document.querySelector("[data-testid=admin-message]").textContent = "The image was uploaded.";
    } catch (error) {
      showErrors(uploads, error);
    }
  });
  const tag = el("form", { class: "filters" }, el("input", { name: "label", placeholder: "New tag", "aria-label": "New tag" }), el("button", { type: "submit" }, "Add tag"));
  tag.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.mutate("mutation($id: Int!, $l: String!) { tagProduct(productId: $id, label: $l) { id } }", { id: product.id, l: new FormData(tag).get("label") });
      await productPage(id);
    } catch (error) {
      showErrors(tag, error);
    }
  });
  const promotions = await promotionsEditor(product, () => productPage(id));
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/" }, "← Products")),
    el("h1", {}, product.title),
    saved,
    form,
    uploads,
    el("h2", {}, "Tags"),
    el("div", { class: "tags" }, product.tags.map((t) => el("span", {}, t.label))),
    tag,
    el("h2", {}, "Promotions"),
    promotions,
  );
}

/** The product's promotions, each removable, and a form to add it to another. */
async function promotionsEditor(product, reload) {
  const { promotions } = await api.query("{ promotions(first: 50) { nodes { id description discount } } }");
  const change = async (name, promotionId) => {
    await api.mutate(`mutation($p: Int!, $ids: [Int!]!) { ${name}(promotionId: $p, productIds: $ids) { id } }`, { p: promotionId, ids: [product.id] });
    await reload();
  };
  const current = product.promotions.map((p) => {
    const remove = el("button", { class: "secondary" }, "Remove");
    remove.addEventListener("click", () => change("removeProductsFromPromotion", p.id));
    return el("li", {}, `${p.description} (−${money(p.discount)}) `, remove);
  });
  const others = promotions.nodes.filter((p) => !product.promotions.some((q) => q.id === p.id));
  const add = el("form", { class: "filters" }, el("select", { name: "promotion", "aria-label": "Promotion" }, others.map((p) => el("option", { value: p.id }, p.description))), el("button", { type: "submit", disabled: !others.length }, "Add to promotion"));
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    change("addProductsToPromotion", Number(new FormData(add).get("promotion")));
  });
  return el("div", {}, current.length ? el("ul", {}, current) : el("p", { class: "muted" }, "None."), add);
}

async function collectionsPage() {
  const { collections } = await api.query("{ collections(orderBy: [TITLE]) { id title productsCount } }");
  view.replaceChildren(
    el("h1", {}, "Collections"),
    el("table", {}, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Products")), collections.map((c) => el("tr", {}, el("td", {}, c.title), el("td", {}, el("a", { href: `#/?collection=${c.id}` }, `${c.productsCount} Products`))))),
  );
}

async function customersPage(params) {
  const search = el("form", { class: "filters" }, el("input", { name: "search", type: "search", placeholder: "First or last name starts with", value: params.get("search") || "", "aria-label": "Search" }), el("button", { type: "submit" }, "Search"));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/customers?search=${encodeURIComponent(new FormData(search).get("search"))}`;
  });
  const { customers } = await api.query(
    "query($s: String) { customers(first: 10, search: $s) { nodes { id fullName membership ordersCount user { username email } } } }",
    { s: params.get("search") || null },
  );
  const row = (customer) => {
    const membership = el("select", { name: "membership", "aria-label": `Membership of ${customer.fullName}` }, ["BRONZE", "SILVER", "GOLD"].map((m) => el("option", { value: m, selected: m === customer.membership }, m)));
    const cell = el("td", {}, membership);
    membership.addEventListener("change", async () => {
      try {
        await api.mutate("mutation($id: Int!, $m: Membership!) { patchCustomer(id: $id, input: { membership: $m }) { id } }", { id: customer.id, m: membership.value });
      } catch (error) {
        showErrors(cell, error);
      }
    });
    return el("tr", {}, el("td", {}, customer.fullName.trim() || customer.user.username), el("td", {}, customer.user.email), cell, el("td", {}, el("a", { href: `#/orders?customer=${customer.id}` }, `${customer.ordersCount} Orders`)));
  };
  view.replaceChildren(el("h1", {}, "Customers"), search, el("table", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "E-mail"), el("th", {}, "Membership"), el("th", {}, "Orders")), customers.nodes.map(row)));
}

async function ordersPage(params) {
  const customer = params.get("customer");
  const { orders } = await api.query(
    "query($c: Int) { orders(first: 20, customerId: $c) { nodes { id placedAt paymentStatus totalPrice customer { fullName user { username } } items { quantity unitPrice product { title } } } } }",
    { c: customer ? Number(customer) : null },
  );
  view.replaceChildren(
    el("h1", {}, customer ? `Orders of customer #${customer}` : "Orders"),
    el(
      "table",
      {},
      el("tr", {}, el("th", {}, "Order"), el("th", {}, "Customer"), el("th", {}, "Lines"), el("th", {}, "Total"), el("th", {}, "Payment")),
      orders.nodes.map((order) =>
        el(
          "tr",
          {},
          el("td", {}, `#${order.id}`, el("br"), el("span", { class: "muted" }, new Date(order.placedAt).toLocaleString())),
          el("td", {}, order.customer.fullName.trim() || order.customer.user.username),
          el("td", {}, order.items.map((item) => el("div", {}, `${item.quantity} × ${item.product.title} at ${money(item.unitPrice)}`))),
          el("td", {}, money(order.totalPrice)),
          el("td", { class: `status-${order.paymentStatus}` }, order.paymentStatus),
        ),
      ),
    ),
  );
}

let feed = null;

/** New orders as they are placed (orderCreated), on every page. */
function startFeed() {
  if (feed) return;
  document.getElementById("feed").hidden = false;
  const list = document.getElementById("live-orders");
  feed = api.subscribe("subscription { orderCreated { id totalPrice customer { fullName user { username } } } }", ({ orderCreated: order }) => {
    list.prepend(el("li", { testid: "admin-live-order", "data-order-id": order.id }, `#${order.id} · ${order.customer.fullName.trim() || order.customer.user.username} · ${money(order.totalPrice)}`));
  });
}

async function render() {
  if (!api.signedIn()) {
    document.getElementById("admin-nav").hidden = true;
    return signInPage();
  }
  const { parts, params } = route();
  const pages = { product: () => productPage(parts[1]), collections: collectionsPage, customers: () => customersPage(params), orders: () => ordersPage(params) };
  try {
    await (pages[parts[0]] || (() => productsPage(params)))();
  } catch (error) {
    view.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
  }
}

function start() {
  document.getElementById("admin-nav").hidden = false;
  startFeed();
  render();
}

document.getElementById("admin-sign-out").addEventListener("click", async (event) => {
  event.preventDefault();
  await api.signOut();
  if (feed) feed();
  feed = null;
  document.getElementById("feed").hidden = true;
  render();
});
window.addEventListener("hashchange", render);
if (api.signedIn()) start();
else render();
