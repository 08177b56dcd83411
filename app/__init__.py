"""The Streamlit clinic app (pages call the ``assistant`` facade only)."""
