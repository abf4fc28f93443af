// GraphiQL against this server: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws at /graphql/ws. A token put in the headers editor
// ({"Authorization": "Bearer <access>"}) is also sent in the socket's connection_init.
const url = new URL("/graphql", location.href).href;
const subscriptionUrl = url.replace(/^http/, "ws") + "/ws";
const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl });
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
