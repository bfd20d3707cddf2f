"""The read side: the questions asked of the read model, on both time axes (`on`, `known_at`)."""
