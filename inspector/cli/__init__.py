"""The ``inspector`` command line: headless access to everything the core does.

One module per group of commands (:mod:`.inspections`, :mod:`.repair`,
:mod:`.console`, :mod:`.live`, :mod:`.review`), each adding its commands with
``register(add)``; :mod:`.common` holds what they share (exit codes, one-line
errors, opening the store, JSON output) and :mod:`.main` assembles the parser.

Bad input prints one clear line on stderr and exits non-zero; a traceback is a
bug. Storage failures (a damaged, busy or read-only database, a full disk) are
worded for the user too. Read-only commands (``list``, ``show``, ``report``,
``verify``) never create or change the data folder; text from the database or
a bundle is printed through :mod:`.terminal`, never raw.
"""
