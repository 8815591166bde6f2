"""The sao engine: audio I/O, the operation registry, the planner, the renderer.

The engine never imports the CLI, and importing it never imports torch: the
neural parts live under `engine.neural` and are imported only when a plan needs them.
"""

__version__ = "0.1.0"
