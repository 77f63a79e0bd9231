"""HPO methods as plugins, one module per method, registered in ``hpobench.methods``.

Every method derives from :class:`hpobench.contracts.method.Method` and is registered through the
``hpobench.methods`` entry-point group in ``pyproject.toml``, exactly as a third-party plugin
would be. Modules here import only the core (``hpobench.*``), never ``hpobench.surrogates``.
"""
