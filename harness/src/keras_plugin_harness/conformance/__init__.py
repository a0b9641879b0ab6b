"""The shared conformance checks, shipped as a pytest plugin.

Run them over every installed plugin with::

    KERAS_BACKEND=jax python -m pytest --pyargs keras_plugin_harness.conformance

``KERAS_PLUGINS_ALLOW=keras-ema`` restricts the run to one plugin.
"""
