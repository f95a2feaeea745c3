"""One module per ``specgen`` command, each with a ``run(args, env, started)``.

``cli.main`` parses the flags and calls the command's ``run``; what several
commands share (the workspace and its selection, stderr lines, the report
file and the error it carries) is in ``_run``, the model chain of
``generate`` in ``_models``. Each imports what it needs lazily, so
``specgen check`` never loads pydantic, a parser or google-genai.
"""
