"""The journal graph: schema, the write side for entries (``episodes``) and the read side
for the UI (``queries``)."""
