// What a bundler would have replaced: the vendored urql build reads process.env.NODE_ENV.
globalThis.process = globalThis.process || { env: { NODE_ENV: "production" } };
