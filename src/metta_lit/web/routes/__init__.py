"""The app's HTTP and websocket routes, one module per page's API; each has ``routes(site)``."""
