"""The portal's built-in business modules; each sub-package is one plugin,
registered under the ``portal.plugins`` entry-point group like any other."""
