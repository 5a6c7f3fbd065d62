"""Documents in the GraphQL contract: print templates and previews."""
