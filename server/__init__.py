"""Caixiao service: business areas, persistence, events and the process around the GraphQL API."""
