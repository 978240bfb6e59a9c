"""The plugin layer: hook specs, the typed op declaration, the registry, loading, binding.

Plugin authors import from :mod:`opgrad.extend`; opgrad's own modules import the
machinery from the module that defines it.
"""
