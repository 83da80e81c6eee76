"""What ``streamlit run`` serves for ``artlib-app``: the explorer's pages and, in the same process, its JSON API
(:mod:`artlib.app.api`), as one Streamlit ``App`` (Starlette)."""

from pathlib import Path

import streamlit as st

from artlib.app.api import routes

app = st.App(Path(__file__).with_name("streamlit_app.py"), routes=routes())
