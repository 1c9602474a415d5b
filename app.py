"""The dashboard's entry point (`streamlit run app.py`): its pages, and the sidebar every page shares (the
dataset picker bound to `?dataset=` in the URL, and the work running in the background)."""

from recsys import ui

page = ui.navigation()
ui.sidebar()
page.run()
