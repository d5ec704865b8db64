"""Robustness: random and hostile inputs give a result or the documented error, in bounded time."""
