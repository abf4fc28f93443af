// GraphiQL against this server: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws at /graphql/ws. The headers editor's Authorization header goes
// with HTTP requests and, for subscriptions, in the socket's connection_init payload
// (a new socket when it changes).
import { createClient } from "/assets/vendor/graphql-ws/client.mjs";

const url = new URL("/graphql", location.href).href;
const subscriptionUrl = url.replace(/^http/, "ws") + "/ws";
const http = GraphiQL.createFetcher({ url });
let socket = null;
let socketAuth = null;

function socketFor(headers) {
  const auth = (headers && (headers.Authorization || headers.authorization)) || null;
  if (!socket || auth !== socketAuth) {
    if (socket) socket.dispose();
    socketAuth = auth;
    socket = createClient({ url: subscriptionUrl, connectionParams: auth ? { Authorization: auth } : {} });
  }
  return socket;
}

/** Whether the operation GraphiQL runs is a subscription. */
function isSubscription({ query, operationName }) {
  const named = operationName ? new RegExp(`\\bsubscription\\s+${operationName}\\b`) : /^\s*subscription\b/m;
  return named.test(query.replace(/#.*$/gm, ""));
}

function fetcher(params, options) {
  if (!isSubscription(params)) return http(params, options);
  return socketFor(options && options.headers).iterate(params);
}

const defaultQuery = `# Storefront's API. Try:
{
  products(first: 5) {
    nodes { id title unitPrice inventoryStatus }
    pageInfo { hasNextPage endCursor }
  }
}
`;
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery }),
);
