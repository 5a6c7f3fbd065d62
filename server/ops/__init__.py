"""Running Caixiao in production: request ids and logs, metrics, request limits, login throttle."""
