"""What the plugin layer raises and warns: each message names the plugin and the op."""


class RegistrationError(ValueError):
    """An op declaration was rejected; the message names the plugin and the op."""


class OpTypeError(RegistrationError, TypeError):
    """A declaration field has the wrong type (e.g. a forward that is not callable)."""


class UnknownOpError(KeyError):
    """No op of that name is registered."""

    def __str__(self) -> str:
        return str(self.args[0])


class PluginLoadWarning(UserWarning):
    """A plugin failed to load or to register its ops, or implements an unknown hook."""
