"""User interfaces over the engine: the ``reportqa`` CLI and the Gradio chat page."""
