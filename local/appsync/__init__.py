"""The local AppSync endpoint: schema, auth, resolvers (QuickJS) and the real-time protocol."""
