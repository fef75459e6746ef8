"""Demo tools: pure computations returning result dataclasses, plus PNG renderers.

Nothing here knows about Discord, the console or the CLI.
"""
