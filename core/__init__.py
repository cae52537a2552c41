"""ConvAtlas core: the Streamlit-free library behind the app and the `python -m core` command line."""
