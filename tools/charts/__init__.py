"""PNG renderers for the tools' result dataclasses (matplotlib ``Figure`` on Agg, no pyplot)."""
