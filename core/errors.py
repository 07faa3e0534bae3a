"""The exceptions the ground floor raises with a message for visitors."""


class BadInput(ValueError):
    """The input cannot be used; the message says why and what to do, for a visitor."""


class ModelUnavailable(RuntimeError):
    """The experiment's model could not be loaded; the message says so, for a visitor."""
