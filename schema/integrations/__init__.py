"""Integrations as the API shows them: webhooks and chat robots (admins only)."""
