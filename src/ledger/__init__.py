"""ledger: an event-sourced ledger of organisational change in health and care systems."""

__version__ = "0.1.0"
