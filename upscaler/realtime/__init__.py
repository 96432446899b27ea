"""Live updates over websockets (thin): the submission consumer, its routing, and websocket
authentication (session for browsers, token header for scripts, the Origin check)."""
