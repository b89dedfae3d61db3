"""wms: the reference warehouse host.

Public modules a plugin may use: ``hookspecs``, ``models``, ``db``,
``errors``, ``settings``, ``catalog``, ``stock``, ``activity``, ``runtime``
and ``output``.  Everything else (the CLI, the importer, the demo, the
migrations) is the host's own business.
"""
