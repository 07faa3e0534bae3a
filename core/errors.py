"""The one exception the ground floor raises for a visitor's bad input."""


class BadInput(ValueError):
    """The input cannot be used; the message says why and what to do, for a visitor."""
