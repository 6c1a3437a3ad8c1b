"""``charlie-tui backup OUT`` and ``restore ARCHIVE``: the whole data dir's journal in one file.

``archive`` builds and reads the archive (a database snapshot, the optimized program state and
a manifest); ``command`` is the command line.
"""
