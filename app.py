"""The dashboard's entry point (`streamlit run app.py`): its pages and their navigation."""

from recsys import ui

ui.navigation().run()
