"""The read-only web application (`ledger serve`) and the static atlas (`ledger atlas`): the
pages of pages.py, as HTML from the templates here or as the JSON the CLI prints."""
