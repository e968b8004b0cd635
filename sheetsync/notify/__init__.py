"""The daily digest: each rep's agenda by e-mail and webhook after a successful sync.

``deliver`` (sends, remembers what was sent), ``digest`` (what a message says), ``email`` and
``webhook`` (the wires), ``addresses`` (who gets what), ``links`` (where the sheet opens),
``sent`` (the sent-state file).
"""
