// The apps' GraphQL client: urql over HTTP (queries, mutations), graphql-ws for
// subscriptions, the signed-in user's tokens in local storage (refreshed with the
// rotating refresh token when the access token has expired), and errors turned into
// ApiError { code, message, fields } from `extensions`.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";

/** A GraphQL error the UI can show: `fields` maps an input field to its messages. */
export class ApiError extends Error {
  constructor(message, code, fields) {
    super(message);
    this.code = code;
    this.fields = fields || {};
  }
}

export function makeApi(storageKey) {
  const load = () => JSON.parse(localStorage.getItem(storageKey) || "null");
  let tokens = load();
  const listeners = new Set();
  const save = (next) => {
    tokens = next;
    if (next) localStorage.setItem(storageKey, JSON.stringify(next));
    else localStorage.removeItem(storageKey);
    listeners.forEach((listener) => listener(next));
  };
  const authorization = () => (tokens ? { Authorization: `Bearer ${tokens.access}` } : {});

  let ws = null;
  const socket = () => {
    if (!ws) {
      ws = createWsClient({
        url: new URL("/graphql/ws", location.href).href.replace(/^http/, "ws"),
        connectionParams: () => authorization(),
        lazy: true,
        retryAttempts: 5,
      });
    }
    return ws;
  };

  const client = new Client({
    url: "/graphql",
    requestPolicy: "network-only",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: authorization() }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket().subscribe(request, sink) }),
        }),
      }),
    ],
  });

  const toError = (result) => {
    const first = result.error.graphQLErrors[0];
    if (!first) return new ApiError("The service could not be reached.", "NETWORK_ERROR");
    const ext = first.extensions || {};
    return new ApiError(first.message, ext.code, ext.fields);
  };

  // One refresh at a time: concurrent calls that find the access token expired share it
  // (a refresh token is single-use; using it twice would end the session).
  let refreshing = null;
  const refresh = () => {
    refreshing = refreshing || rotate().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  async function rotate() {
    const result = await client
      .mutation(
        "mutation($r: String!) { refreshToken(refresh: $r) { access refresh } }",
        { r: tokens.refresh },
        { fetchOptions: { headers: {} } },
      )
      .toPromise();
    if (result.error) {
      save(null);
      return false;
    }
    save(result.data.refreshToken);
    return true;
  }

  /** Runs `document` (a query or mutation) and returns its data or throws ApiError. */
  async function run(kind, document, variables = {}, retried = false) {
    const result = await client[kind](document, variables).toPromise();
    if (!result.error) return result.data;
    const error = toError(result);
    if (error.code === "UNAUTHENTICATED" && tokens && !retried && (await refresh())) {
      return run(kind, document, variables, true);
    }
    throw error;
  }

  return {
    query: (document, variables) => run("query", document, variables),
    mutate: (document, variables) => run("mutation", document, variables),
    /** Calls `onData` with each event; returns the unsubscribe function. */
    subscribe(document, onData) {
      const { unsubscribe } = client
        .subscription(document, {})
        .subscribe((result) => result.data && onData(result.data));
      return unsubscribe;
    },
    /** A multipart request (GraphQL multipart spec) with one file in `variables[fileVar]`. */
    async upload(document, variables, fileVar, file) {
      const form = new FormData();
      form.append("operations", JSON.stringify({ query: document, variables: { ...variables, [fileVar]: null } }));
      form.append("map", JSON.stringify({ 0: [`variables.${fileVar}`] }));
      form.append("0", file);
      const response = await fetch("/graphql", { method: "POST", body: form, headers: authorization() });
      const body = await response.json();
      if (body.errors && body.errors.length) {
        const ext = body.errors[0].extensions || {};
        throw new ApiError(body.errors[0].message, ext.code, ext.fields);
      }
      return body.data;
    },
    /** A GET of this origin's `path` with the bearer token (refreshed once on 401). */
    async fetch(path) {
      const get = () => fetch(path, { headers: authorization() });
      const response = await get();
      if (response.status === 401 && tokens && (await refresh())) return get();
      return response;
    },
    signedIn: () => tokens !== null,
    async signIn(username, password) {
      const data = await run("mutation", "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access refresh } }", { u: username, p: password });
      save(data.createToken);
    },
    async signOut() {
      if (tokens) {
        await run("mutation", "mutation($r: String!) { logout(refresh: $r) }", { r: tokens.refresh }).catch(() => {});
      }
      save(null);
      if (ws) {
        ws.dispose();
        ws = null;
      }
    },
    onAuthChange: (listener) => listeners.add(listener),
  };
}

/** `el("button", { class: "x", onclick }, "text", child)`: a DOM element. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "testid") node.dataset.testid = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

/** Shows `error` on a form: each field's messages under its input, the rest on top. */
export function showErrors(form, error) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  const fields = Object.entries(error.fields || {});
  let shown = false;
  for (const [field, messages] of fields) {
    const input = form.querySelector(`[name="${field}"]`);
    if (input) {
      input.after(el("p", { class: "field-error", role: "alert" }, messages.join(" ")));
      shown = true;
    }
  }
  if (!shown) {
    form.prepend(el("p", { class: "field-error", role: "alert" }, error.message));
  }
}

export const money = (value) => Number(value).toFixed(2);
